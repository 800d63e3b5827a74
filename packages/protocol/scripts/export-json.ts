// Writes packages/protocol/json/*.json from the TypeScript source of truth.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { exportJson, renderJson } from '../src/export.ts';

const dir = fileURLToPath(new URL('../json/', import.meta.url));
for (const [name, value] of Object.entries(exportJson())) {
  writeFileSync(dir + name, renderJson(value));
  console.log(`wrote packages/protocol/json/${name}`);
}
