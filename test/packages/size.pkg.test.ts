// Browser size budget (issue 13): client + react + protocol add at most
// 15 kB gzip to a production Vite build on top of socket.io-client, and zod
// is not in the bundle. `node scripts/size.mjs` prints the same figures.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { root } from '../support/processes.ts';
// @ts-expect-error: a plain .mjs script without declarations
import { BUDGET_BYTES, measure } from '../../scripts/size.mjs';

it('Warren adds at most 15 kB gzip to a Vite build on top of socket.io-client, without zod', async () => {
  const { floor, warren, added } = (await measure()) as { floor: number; warren: number; added: number };
  console.log(`socket.io-client page ${(floor / 1024).toFixed(1)} kB, Warren page ${(warren / 1024).toFixed(1)} kB: +${(added / 1024).toFixed(1)} kB gzip`);
  expect(added).toBeLessThanOrEqual(BUDGET_BYTES);
  const assets = join(root, 'test-artifacts/size/warren/dist/assets');
  const js = readdirSync(assets)
    .filter((f) => f.endsWith('.js'))
    .map((f) => readFileSync(join(assets, f), 'utf8'))
    .join('\n');
  expect(js).not.toMatch(/ZodError|\$ZodType|toJSONSchema/);
});
