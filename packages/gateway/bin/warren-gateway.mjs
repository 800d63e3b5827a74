#!/usr/bin/env node
// Runs the gateway from source on Node ≥ 20 (tsx); `bun src/main.ts` works too.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
