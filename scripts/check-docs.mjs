// Every TypeScript block of README.md and packages/*/README.md, typechecked
// against the packages' source, so the docs cannot drift from the API; the
// blocks marked `run` are run too; and every relative link of the markdown
// resolves (check-links.mjs). Part of `npm test` (suite `docs`).
//
// A fence's info string says what a block is:
//   ```ts / ```tsx       checked as a module of its own, in strict mode
//   ```ts run            also run (Bun), and must exit 0 within 20 s
//   ```ts signature      an API listing, not code: skipped
// Fragments may use the names scripts/docs/prelude.ts declares (`backend`,
// `contracts`, `append`, …): what the surrounding prose has set up.
//
//   node scripts/check-docs.mjs [--keep]
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkLinks } from './check-links.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'test-artifacts', 'docs');

export const READMES = ['README.md', ...readdirSync(join(root, 'packages')).map((p) => `packages/${p}/README.md`)];

/** The TypeScript blocks of one markdown file: language, flags, first line, code. */
export const extractBlocks = (markdown) => {
  const blocks = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(ts|tsx|typescript)(?:\s+(.*))?$/.exec(lines[i]);
    if (!open) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !lines[end].startsWith('```')) end++;
    blocks.push({
      lang: open[1] === 'tsx' ? 'tsx' : 'ts',
      flags: (open[2] ?? '').split(/\s+/).filter(Boolean),
      line: start + 1,
      code: lines.slice(start, end).join('\n'),
    });
    i = end;
  }
  return blocks;
};

const slug = (file) =>
  file
    .replace(/\/README\.md$/, '')
    .replace(/README\.md$/, 'root')
    .replace(/\W+/g, '-');

export const checkDocs = ({ keep = false } = {}) => {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  cpSync(join(root, 'scripts/docs'), out, { recursive: true });
  const files = [];
  const runnable = [];
  for (const readme of READMES) {
    let text;
    try {
      text = readFileSync(join(root, readme), 'utf8');
    } catch {
      continue;
    }
    for (const [n, block] of extractBlocks(text).entries()) {
      if (block.flags.includes('signature')) continue;
      const name = `${slug(readme)}-${n + 1}.${block.lang}`;
      // Its own module (names do not clash across blocks); the prelude's globals fill in the prose.
      writeFileSync(join(out, name), `// ${readme}:${block.line}\n${block.code}\nexport {};\n`);
      // A block that registers its own backend for the hooks gets a program of its own.
      files.push({ name, readme, line: block.line, own: /interface Register\b/.test(block.code) });
      if (block.flags.includes('run')) runnable.push({ name, readme, line: block.line });
    }
  }
  const programs = [
    { config: 'tsconfig.json', files: ['prelude.ts', 'register.ts', 'backend-types.ts', 'App.tsx', ...files.filter((f) => !f.own).map((f) => f.name)] },
    ...files.filter((f) => f.own).map((f) => ({ config: `tsconfig.${f.name}.json`, files: ['prelude.ts', 'backend-types.ts', 'App.tsx', f.name] })),
  ];
  const failures = [];
  const where = new Map(files.map((f) => [f.name, f]));
  for (const program of programs) {
    writeFileSync(
      join(out, program.config),
      JSON.stringify(
        {
          extends: relative(out, join(root, 'tsconfig.json')),
          compilerOptions: { noUnusedLocals: false, noUnusedParameters: false },
          include: [],
          files: program.files,
        },
        null,
        2,
      ),
    );
    const tsc = spawnSync(join(root, 'node_modules/.bin/tsc'), ['-p', join(out, program.config)], { cwd: root, encoding: 'utf8' });
    // Point each error at the README line it comes from.
    const errors = (tsc.stdout + tsc.stderr)
      .split('\n')
      .filter((l) => l.trim())
      .map((l) =>
        l.replace(/^(?:.*\/)?test-artifacts\/docs\/([\w.-]+)\((\d+),(\d+)\)/, (all, name, row, col) => {
          const f = where.get(name);
          return f ? `${f.readme}:${f.line + Number(row) - 2}:${col} (${name})` : all;
        }),
      );
    if (tsc.status !== 0) failures.push(`typecheck failed (${program.config}):\n${errors.join('\n')}`);
  }
  for (const f of runnable) {
    const run = spawnSync(join(root, 'node_modules/.bin/bun'), [join(out, f.name)], { cwd: root, encoding: 'utf8', timeout: 20_000 });
    if (run.status !== 0) failures.push(`${f.readme}:${f.line} (${f.name}) exited ${run.status ?? run.signal}:\n${run.stdout}${run.stderr}`);
  }
  const links = checkLinks(root);
  if (links.failures.length > 0) failures.push(`dead links:\n${links.failures.join('\n')}`);
  if (!keep && failures.length === 0) rmSync(out, { recursive: true, force: true });
  return { checked: files.length, ran: runnable.length, linked: links.checked, failures };
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { checked, ran, linked, failures } = checkDocs({ keep: process.argv.includes('--keep') });
  for (const f of failures) console.error(f);
  console.log(
    `docs: ${checked} TypeScript blocks typechecked, ${ran} run, links of ${linked} markdown files checked, ${failures.length === 0 ? 'all good' : `${failures.length} failure(s)`}`,
  );
  process.exit(failures.length === 0 ? 0 : 1);
}
