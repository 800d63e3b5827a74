#!/usr/bin/env node
// Published: runs the compiled CLI (dist/). In the monorepo, where src/ is
// present, runs the TypeScript source through tsx instead — no build step.
import { existsSync } from 'node:fs';

const source = new URL('../src/main.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import('../dist/main.js');
}
