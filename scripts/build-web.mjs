// Builds the demo web app (examples/web) with Vite into examples/web/dist and
// returns that directory, for the gateway's STATIC_DIR. Skips the build when
// dist is newer than every source it is made from, so `npm start` and the
// e2e suite stay fast on a second run.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const web = join(root, 'examples/web');
const dist = join(web, 'dist');
const stamp = join(dist, 'index.html');

// Everything that ends up in the bundle: the app and the workspace packages it imports.
// README.md and docs/ too: the app serves them at docs/ (examples/web/docs-plugin.ts).
const SOURCES = ['examples/web', 'packages/react/src', 'packages/client/src', 'packages/protocol/src', 'packages/protocol/json', 'README.md', 'docs'];
const SKIP = new Set(['node_modules', 'dist', '.vite']);

const newestMtime = (dir) => {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  if (statSync(dir).isFile()) return statSync(dir).mtimeMs;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
};

/** True when dist/ exists and no source changed since it was built. */
export const webAppIsFresh = () => {
  if (!existsSync(stamp)) return false;
  const built = statSync(stamp).mtimeMs;
  return SOURCES.every((dir) => newestMtime(join(root, dir)) <= built);
};

/** Builds examples/web unless it is fresh; resolves with the absolute dist path. */
export const buildWebApp = async ({ force = false, quiet = false } = {}) => {
  if (!force && webAppIsFresh()) return dist;
  const say = (msg) => quiet || console.log(`\x1b[36m[warren]\x1b[0m ${msg}`);
  say('building the web app (examples/web)…');
  const started = Date.now();
  const { build } = await import('vite');
  await build({ root: web, configFile: join(web, 'vite.config.ts'), logLevel: 'warn', mode: 'production' });
  say(`web app built in ${((Date.now() - started) / 1000).toFixed(1)} s → ${dist}`);
  return dist;
};

// `node scripts/build-web.mjs [--force]`
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  buildWebApp({ force: process.argv.includes('--force') }).catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
