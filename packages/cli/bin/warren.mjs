#!/usr/bin/env node
// Runs the TypeScript CLI from source on Node ≥ 20 (tsx) — no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
