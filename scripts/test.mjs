// `npm test`: install what is missing, start RabbitMQ if it is stopped, then
// run every suite and print one summary. Suites can be picked with
// `npm test -- unit python` (names below). Under CI=true a suite whose
// service is missing fails instead of being skipped.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureChromium, ensureNodeModules, ensurePython, ensureRabbit, portOpen, PYTHON, root, say } from './ensure.mjs';
import { queuesNow, removeQueuesLeftSince } from './test-queues.mjs';

const CI = Boolean(process.env.CI && process.env.CI !== 'false');
const out = join(root, 'test-artifacts');
mkdirSync(out, { recursive: true });

const run = (cmd, args, env = {}, timeoutMs = 0) =>
  new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
    const timer = timeoutMs > 0 ? setTimeout(() => child.kill('SIGTERM'), timeoutMs) : undefined;
    child.on('close', () => clearTimeout(timer));
    let text = '';
    child.stdout.on('data', (d) => {
      process.stdout.write(d);
      text += d.toString();
    });
    child.on('close', (code) => resolve({ code: code ?? 1, text }));
  });

const vitest = (project) => async () => {
  const file = join(out, `vitest-${project}.json`);
  rmSync(file, { force: true });
  const { code } = await run('npx', ['vitest', 'run', '--project', project, '--reporter=default', '--reporter=json', `--outputFile.json=${file}`]);
  try {
    const report = JSON.parse(readFileSync(file, 'utf8'));
    return {
      code,
      passed: report.numPassedTests,
      failed: report.numFailedTests + (code !== 0 && report.numFailedTests === 0 ? 1 : 0),
      skipped: report.numPendingTests + report.numTodoTests,
    };
  } catch {
    return { code, passed: 0, failed: 1, skipped: 0 };
  }
};

const pytestCounts = (text, code) => {
  const count = (word) => Number(text.match(new RegExp(`(\\d+) ${word}`))?.[1] ?? 0);
  const failed = count('failed') + count('errors?');
  return { code, passed: count('passed'), failed: failed + (code !== 0 && code !== 5 && failed === 0 ? 1 : 0), skipped: count('skipped') };
};

const needs = (name, ok, why) => {
  if (ok) return null;
  if (CI) return { code: 1, passed: 0, failed: 1, skipped: 0, note: `${why} (required under CI)` };
  say(`skipping ${name}: ${why}`);
  return { code: 0, passed: 0, failed: 0, skipped: 1, note: why };
};

const SUITES = {
  // Biome (lint and format check) over the TypeScript tree, exports nobody imports, ruff check over python/.
  lint: async () => {
    const checks = [await run('npx', ['biome', 'ci', '.']), await run('node', ['scripts/dead-exports.mjs']), await run('node', ['scripts/lint-python.mjs'])];
    const failed = checks.filter((c) => c.code !== 0).length;
    return { code: failed > 0 ? 1 : 0, passed: checks.length - failed, failed, skipped: 0 };
  },
  // The repository, plus the hooks' inference tests: each a program of its
  // own, because the Register they declare is global to a program.
  typecheck: async () => {
    const programs = ['tsconfig.json', 'packages/react/type-tests/backend/tsconfig.json', 'packages/react/type-tests/generated/tsconfig.json'];
    let failed = 0;
    for (const program of programs) if ((await run('npx', ['tsc', '-p', program])).code !== 0) failed++;
    return { code: failed > 0 ? 1 : 0, passed: programs.length - failed, failed, skipped: 0 };
  },
  // Every TypeScript block of the READMEs typechecked against the source, the
  // ones marked `run` run (scripts/check-docs.mjs).
  docs: async () => {
    const { code, text } = await run('node', ['scripts/check-docs.mjs']);
    const checked = Number(text.match(/(\d+) TypeScript blocks/)?.[1] ?? 0);
    return { code, passed: code === 0 ? checked : 0, failed: code === 0 ? 0 : 1, skipped: 0 };
  },
  unit: vitest('unit'),
  integration: async (ctx) => needs('integration', ctx.rabbit, 'RabbitMQ is not reachable') ?? vitest('integration')(),
  python: async (ctx) =>
    needs('python', ctx.python, 'Python dependencies are missing') ??
    (async () => {
      const { code, text } = await run(
        PYTHON,
        ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'python/tests'],
        ctx.rabbit ? {} : { WARREN_SKIP_INTEGRATION: '1' },
      );
      return pytestCounts(text, code);
    })(),
  // Hostile clients, least-privilege broker users, traceparent into a Python
  // handler: real gateway/worker processes on RabbitMQ (test/security).
  security: async (ctx) => {
    const python = ctx.python || ensurePython();
    const missing = [!ctx.rabbit && 'RabbitMQ is not reachable', !python && 'Python dependencies are missing'];
    return needs('security', !missing.some(Boolean), missing.filter(Boolean).join('; ')) ?? vitest('security')();
  },
  // Browser tests: the built web app in Debian's Chromium against RabbitMQ, gateway, Node and Python workers.
  e2e: async (ctx) => {
    const python = ctx.python || ensurePython();
    const missing = [!ctx.rabbit && 'RabbitMQ is not reachable', !ctx.chromium && 'Chromium is missing', !python && 'Python dependencies are missing'];
    const skip = needs('e2e', !missing.some(Boolean), missing.filter(Boolean).join('; '));
    if (skip) return skip;
    try {
      const { buildWebApp } = await import('./build-web.mjs');
      await buildWebApp();
    } catch (error) {
      console.error(error);
      return { code: 1, passed: 0, failed: 1, skipped: 0, note: 'the web app did not build' };
    }
    return vitest('e2e')();
  },
  // The packages as users get them: packed, installed outside the repository,
  // called through from Node, Bun, TypeScript and a Vite app in Chromium.
  packages: async (ctx) => {
    const missing = [!ctx.rabbit && 'RabbitMQ is not reachable', !ctx.chromium && 'Chromium is missing'];
    return needs('packages', !missing.some(Boolean), missing.filter(Boolean).join('; ')) ?? vitest('packages')();
  },
  // Benchmark smoke: `bench/run.ts --quick` must produce its table. Checks
  // the harness works, never a speed (figures belong in docs/performance.md).
  bench: async (ctx) => {
    const skip = needs('bench', ctx.rabbit, 'RabbitMQ is not reachable');
    if (skip) return skip;
    const redis = await portOpen({ host: '127.0.0.1', port: 6379 });
    const systems = ['warren', 'warren-fast', 'socket', 'amqp', 'naive', 'naive-durable', ...(redis ? ['bullmq'] : [])];
    const { code, text } = await run(
      'node',
      ['--import', 'tsx', 'bench/run.ts', '--quick', `--systems=${systems.join(',')}`, `--out=${join(out, 'bench')}`],
      {},
      120_000,
    );
    const rows = (system) => text.split('\n').filter((line) => line.startsWith('| echo-100B |') && line.includes(system)).length;
    const checks = [
      code === 0,
      text.includes('| workload | C | system | req/s | p50 ms | p99 ms |'),
      ...[
        'Warren (gateway on Bun)',
        'Warren fast lane',
        'socket floor',
        'broker floor',
        'naive Socket.IO',
        'naive relay made durable',
        ...(redis ? ['BullMQ'] : []),
      ].map((label) => rows(label) === 2),
      text.includes('### Idle connections') && text.includes('### Targets'),
    ];
    const failed = checks.filter((ok) => !ok).length;
    return { code: failed > 0 ? 1 : 0, passed: checks.length - failed, failed, skipped: 0, note: redis ? '' : 'Redis not reachable: BullMQ relay left out' };
  },
  // One conformance service on a Node and a Python worker, the same cases
  // against each through real gateways on RabbitMQ; prints a table per language.
  conformance: async (ctx) => {
    const python = ctx.python || ensurePython();
    const missing = [!ctx.rabbit && 'RabbitMQ is not reachable', !python && 'Python dependencies are missing'];
    const skip = needs('conformance', !missing.some(Boolean), missing.filter(Boolean).join('; '));
    if (skip) return skip;
    rmSync(join(out, 'conformance.md'), { force: true });
    return vitest('conformance')();
  },
  // Fault injection (stops and disconnects the broker, kills processes): runs
  // last and alone, and always leaves RabbitMQ running.
  faults: async (ctx) => {
    const python = ctx.python || ensurePython();
    const missing = [!ctx.rabbit && 'RabbitMQ is not reachable', !python && 'Python dependencies are missing'];
    return needs('faults', !missing.some(Boolean), missing.filter(Boolean).join('; ')) ?? vitest('faults')();
  },
  // A private 3-node RabbitMQ cluster on loopback (its own names, ports, data
  // and cookie; the default node is never touched) loses one node per case
  // under load from a gateway, a Node and a Python worker. After faults.
  cluster: async (ctx) => {
    const python = ctx.python || ensurePython();
    const rabbit = existsSync('/usr/lib/rabbitmq/bin/rabbitmq-server');
    const missing = [!rabbit && 'RabbitMQ is not installed (/usr/lib/rabbitmq/bin)', !python && 'Python dependencies are missing'];
    const skip = needs('cluster', !missing.some(Boolean), missing.filter(Boolean).join('; '));
    if (skip) return skip;
    rmSync(join(out, 'cluster.md'), { force: true });
    return vitest('cluster')();
  },
};

const main = async () => {
  const picked = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const names = picked.length > 0 ? picked : Object.keys(SUITES);
  for (const name of names) if (!SUITES[name]) throw new Error(`unknown suite "${name}"; choose from ${Object.keys(SUITES).join(', ')}`);
  ensureNodeModules();
  const ctx = {
    python: names.includes('python') ? ensurePython() : false,
    rabbit: names.some((n) => !['unit', 'typecheck', 'lint', 'docs'].includes(n)) ? await ensureRabbit() : false,
    chromium: names.includes('e2e') || names.includes('packages') ? ensureChromium() : false,
  };
  const before = ctx.rabbit ? queuesNow() : null;
  const results = [];
  for (const name of names) {
    say(`── suite: ${name} ──`);
    const started = Date.now();
    const result = await SUITES[name](ctx);
    results.push({ name, seconds: ((Date.now() - started) / 1000).toFixed(1), ...result });
  }
  try {
    const removed = await removeQueuesLeftSince(before);
    if (removed > 0) say(`removed ${removed} idle queues the suites left on the broker`);
  } catch (error) {
    say(`could not remove the queues the suites left: ${error.message}`);
  }
  console.log('\n| suite | passed | failed | skipped | seconds | note |\n| --- | --- | --- | --- | --- | --- |');
  for (const r of results) console.log(`| ${r.name} | ${r.passed} | ${r.failed} | ${r.skipped} | ${r.seconds} | ${r.note ?? ''} |`);
  const total = (k) => results.reduce((sum, r) => sum + r[k], 0);
  const bad = results.filter((r) => r.code !== 0 || r.failed > 0);
  console.log(`\nwarren: ${total('passed')} passed, ${total('failed')} failed, ${total('skipped')} skipped`);
  process.exit(bad.length > 0 ? 1 : 0);
};

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
