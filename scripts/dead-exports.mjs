// Lists exports nobody imports: a name exported from packages/*/src that no
// other file mentions and that its package's entry (src/index.ts) does not
// re-export (by name or with `export *`). Deliberately simple (names, not a type checker): it errs towards
// "used". Run: node scripts/dead-exports.mjs (exits 1 when it finds any).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts', '*.tsx', '*.mjs'], { cwd: root, encoding: 'utf8' })
  .split('\n')
  .filter((f) => f && !f.startsWith('python/'));
const text = new Map(files.map((f) => [f, readFileSync(root + f, 'utf8')]));
const DECL = /^export\s+(?:declare\s+)?(?:async\s+)?(?:const|let|function\*?|interface|type|class|enum)\s+([A-Za-z_$][\w$]*)/gm;
const dead = [];
for (const file of files) {
  const m = file.match(/^packages\/([^/]+)\/src\//);
  if (!m || file.endsWith('/index.ts')) continue;
  const entry = text.get(`packages/${m[1]}/src/index.ts`) ?? '';
  // `export * from './file.ts'` in the entry makes all of the file public.
  if (entry.includes(`export * from './${file.slice(`packages/${m[1]}/src/`.length)}'`)) continue;
  for (const [, name] of text.get(file).matchAll(DECL)) {
    const word = new RegExp(`\\b${name.replace(/\$/g, '\\$')}\\b`);
    if (word.test(entry)) continue;
    const elsewhere = files.some((other) => other !== file && word.test(text.get(other)));
    if (!elsewhere) dead.push(`${file}: ${name}`);
  }
}
for (const line of dead) console.log(line);
console.log(`${dead.length} exports nobody else names`);
process.exit(dead.length > 0 ? 1 : 0);
