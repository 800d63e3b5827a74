// Builds every npm package (or the ones named) to packages/<name>/dist:
// ES modules, .d.ts and source maps, with TypeScript's own compiler (see
// docs/decisions/0013-packages-built-with-tsc.md). The monorepo itself keeps
// running from src/ through the `source` export condition; only what is
// published (and the consumer test) uses dist/.
//
//   node scripts/build-packages.mjs [protocol client …]
import { spawnSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// Dependency order: each package is checked against the declarations of the
// ones it imports, exactly as a user's compiler will see them.
export const PACKAGES = ['protocol', 'transport', 'client', 'worker', 'react', 'gateway', 'cli'];

// Plain files a package needs next to its compiled code.
const COPY = { gateway: ['registry/validation-thread.mjs'] };

const walk = (dir) => readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? walk(join(dir, name)) : [join(dir, name)]));

// tsc rewrites `./x.ts` to `./x.js` in JavaScript (rewriteRelativeImportExtensions)
// but leaves declarations importing `./x.ts`, which compilers older than
// TypeScript 5 and `moduleResolution: node16` users without
// allowImportingTsExtensions reject; point them at the emitted .js too.
const fixDeclarations = (dist) => {
  for (const file of walk(dist).filter((f) => f.endsWith('.d.ts'))) {
    const text = readFileSync(file, 'utf8');
    const fixed = text.replace(/((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]+?)\.tsx?(['"])/g, '$1$2.js$3');
    if (fixed !== text) writeFileSync(file, fixed);
  }
};

export const buildPackage = (name) => {
  const dir = join(root, 'packages', name);
  const dist = join(dir, 'dist');
  rmSync(dist, { recursive: true, force: true });
  const tsc = join(root, 'node_modules', '.bin', 'tsc');
  const { status } = spawnSync(tsc, ['-p', join(dir, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
  if (status !== 0) throw new Error(`@warren/${name} did not build (tsc exited with ${status})`);
  fixDeclarations(dist);
  for (const file of COPY[name] ?? []) copyFileSync(join(dir, 'src', file), join(dist, file));
};

export const buildPackages = (names = PACKAGES) => {
  for (const name of PACKAGES.filter((n) => names.includes(n))) {
    const started = Date.now();
    buildPackage(name);
    console.log(`built @warren/${name} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const names = process.argv.slice(2);
  for (const n of names) if (!PACKAGES.includes(n)) throw new Error(`unknown package "${n}"; choose from ${PACKAGES.join(', ')}`);
  buildPackages(names.length > 0 ? names : PACKAGES);
}
