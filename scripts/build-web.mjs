// Builds the demo web app (examples/web) with Vite into examples/web/dist and
// returns that directory, for the gateway's STATIC_DIR. Skips the build when
// dist is newer than every source it is made from, so `npm start` and the
// e2e suite stay fast on a second run.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import zlib, { brotliCompressSync, gzipSync } from 'node:zlib';
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

const COMPRESSIBLE = new Set(['.js', '.mjs', '.css', '.html', '.svg', '.json', '.txt']);

/**
 * Writes `file.br` and `file.gz` next to every compressible file over 1 kB,
 * which the gateway serves with Content-Encoding to browsers that accept them.
 */
export const precompress = (dir) => {
  const totals = { files: 0, raw: 0, br: 0, gz: 0 };
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !COMPRESSIBLE.has(extname(entry.name))) continue;
    const file = join(entry.parentPath ?? entry.path, entry.name);
    const raw = readFileSync(file);
    if (raw.byteLength < 1024) continue;
    const br = brotliCompressSync(raw, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: raw.byteLength } });
    const gz = gzipSync(raw, { level: 9 });
    writeFileSync(`${file}.br`, br);
    writeFileSync(`${file}.gz`, gz);
    Object.assign(totals, { files: totals.files + 1, raw: totals.raw + raw.byteLength, br: totals.br + br.byteLength, gz: totals.gz + gz.byteLength });
  }
  return totals;
};

/** Builds examples/web unless it is fresh; resolves with the absolute dist path. */
export const buildWebApp = async ({ force = false, quiet = false } = {}) => {
  if (!force && webAppIsFresh()) return dist;
  const say = (msg) => quiet || console.log(`\x1b[36m[warren]\x1b[0m ${msg}`);
  say('building the web app (examples/web)…');
  const started = Date.now();
  const { build } = await import('vite');
  await build({ root: web, configFile: join(web, 'vite.config.ts'), logLevel: 'warn', mode: 'production' });
  const saved = precompress(dist);
  say(
    `precompressed ${saved.files} files: ${(saved.raw / 1024).toFixed(0)} kB → ${(saved.br / 1024).toFixed(0)} kB brotli, ${(saved.gz / 1024).toFixed(0)} kB gzip`,
  );
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
