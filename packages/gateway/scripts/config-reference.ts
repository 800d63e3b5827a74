// Prints the gateway configuration reference, or with --write refreshes it
// in docs/deploy.md. Run: `bun packages/gateway/scripts/config-reference.ts --write`.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderConfigReference, withConfigReference } from '../src/config-reference.ts';

const doc = fileURLToPath(new URL('../../../docs/deploy.md', import.meta.url));
if (process.argv.includes('--write')) {
  writeFileSync(doc, withConfigReference(readFileSync(doc, 'utf8')));
  console.log(`updated the configuration reference in ${doc}`);
} else {
  console.log(renderConfigReference());
}
