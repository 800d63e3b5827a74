// Entry of the payload validation thread. Plain JavaScript so every runtime
// can start it. Built (dist/, as published) it sits next to the compiled
// validation-thread-main.js; in the monorepo it sits next to the .ts source,
// which Bun and Node with type stripping run directly and older Node loads
// through tsx (a development dependency of the repository).
import { existsSync } from 'node:fs';

const built = new URL('./validation-thread-main.js', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  if (!process.versions.bun && !process.features?.typescript) {
    const { register } = await import('tsx/esm/api');
    register();
  }
  await import('./validation-thread-main.ts');
}
