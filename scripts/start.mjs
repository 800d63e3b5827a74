// `npm start`: installs what is missing, starts RabbitMQ when it is installed
// but stopped, then runs the gateway (serving the web app) and the demo
// workers in Node/Bun and Python. Without a reachable broker it runs
// everything in one process on the in-process transport, and says so.
//
// `npm run dev` (`--dev`): the same stack, but the gateway and each worker
// restart when a file they run from changes, and the web app is served by
// Vite's dev server (hot reload), which proxies the gateway. The Node and
// Python worker entry files can be chosen with WARREN_DEV_NODE_WORKER and
// WARREN_DEV_PYTHON_WORKER (your own worker, or a copy in a test).
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ensureNodeModules, ensurePython, ensureRabbit, PYTHON, root, say } from './ensure.mjs';
import { parseLine, tsCommand } from './launch.mjs';
import { loadSessionSecret } from './session-secret.mjs';
import { supervise } from './supervise.mjs';

const dev = process.argv.includes('--dev');
const port = process.env.PORT ?? '3000';
const vitePort = process.env.VITE_PORT ?? '5173';
const nodeWorker = resolve(root, process.env.WARREN_DEV_NODE_WORKER ?? 'examples/workers-node/src/main.ts');
const pyDemo = resolve(root, process.env.WARREN_DEV_PYTHON_WORKER ?? 'python/examples/run_demo_workers.py');
/** What each process is built from: a change there restarts it (dev only). */
const src = (...dirs) => (dev ? dirs.map((d) => resolve(root, d)).filter((d) => existsSync(d)) : undefined);
const GATEWAY_SOURCES = ['packages/gateway/src', 'packages/protocol/src', 'packages/transport/src'];
const runtime = process.env.WARREN_RUNTIME === 'node' ? 'node' : 'bun';
const ts = (file) => tsCommand(runtime, file);

const banner = (lines) => {
  const width = Math.max(...lines.map((l) => l.length)) + 4;
  console.log(`\n╔${'═'.repeat(width)}╗`);
  for (const l of lines) console.log(`║  ${l.padEnd(width - 4)}  ║`);
  console.log(`╚${'═'.repeat(width)}╝\n`);
};

const buildWeb = async () => {
  const web = join(root, 'examples/web');
  if (!existsSync(join(web, 'package.json'))) return undefined;
  const { buildWebApp } = await import('./build-web.mjs');
  return buildWebApp();
};

/** Vite's dev server for the web app, proxying Socket.IO and the gateway's HTTP routes to it. */
const viteSpec = () => ({
  name: 'web',
  cmd: process.execPath,
  args: [
    join(root, 'node_modules/vite/bin/vite.js'),
    '--port',
    vitePort,
    '--strictPort',
    '--host',
    process.env.HOST === '0.0.0.0' ? '0.0.0.0' : '127.0.0.1',
    '--clearScreen',
    'false',
  ],
  cwd: join(root, 'examples/web'),
  env: { WARREN_GATEWAY: `http://127.0.0.1:${port}` },
});

const main = async () => {
  ensureNodeModules();
  const staticDir = dev ? undefined : await buildWeb();
  const python = ensurePython();
  const rabbit = await ensureRabbit();
  // One secret for every gateway this supervisor starts, so a restarted
  // gateway resumes its clients' sessions. Yours wins when you set one.
  let sessionSecret = process.env.SESSION_SECRET;
  if (!sessionSecret) {
    const stored = loadSessionSecret();
    sessionSecret = stored.secret;
    if (stored.created) say(`created a session secret in ${relative(root, stored.file) || stored.file} (kept across restarts; never commit it)`);
  }
  // The operations console is open without a token on this local demo
  // (OPS_ALLOW_ANONYMOUS=false closes it; with JWT_SECRET set, operators sign in).
  const env = {
    PORT: port,
    SESSION_SECRET: sessionSecret,
    OPS_ALLOW_ANONYMOUS: process.env.OPS_ALLOW_ANONYMOUS ?? 'true',
    ...(staticDir ? { STATIC_DIR: staticDir } : {}),
  };
  const withPython = rabbit && python && existsSync(pyDemo);
  let gatewayUp = false;
  let webUp = !dev;
  let announced = false;
  const announce = (name, line) => {
    if (name === 'gateway' && parseLine(line)?.event === 'ready') gatewayUp = true;
    if (name === 'web' && /ready in/.test(line)) webUp = true;
    if (announced || !gatewayUp || !webUp) return;
    announced = true;
    const url = dev ? `http://localhost:${vitePort}` : `http://localhost:${port}`;
    banner(
      rabbit
        ? [
            `Warren is running at ${url}${dev ? ' (Vite, hot reload)' : ''}`,
            `RabbitMQ transport · workers: Node (${runtime})${withPython ? ' + Python' : ''}`,
            ...(dev ? [`gateway on :${port}; it and the workers restart when their files change`] : []),
            `Try: npx warren call testRequest '{"count":3}'`,
            'Ctrl-C stops everything.',
          ]
        : [
            'EMBEDDED MODE — no RabbitMQ could be reached or started.',
            `Warren is running at ${url} on the in-process transport,`,
            'with the Node workers inside the gateway process.',
            'Python workers and multi-process delivery need RabbitMQ (set AMQP_URL).',
            `Try: npx warren call testRequest '{"count":3}'`,
          ],
    );
  };

  const web = dev ? [viteSpec()] : [];
  if (!rabbit) {
    const watch = src(...GATEWAY_SOURCES, 'packages/worker/src', 'examples/workers-node/src', 'examples/contracts/src', 'scripts/embedded.ts');
    supervise([{ name: 'gateway', ...ts('scripts/embedded.ts'), env, watch }, ...web], { onLine: announce });
    return;
  }
  const specs = [
    { name: 'gateway', ...ts('packages/gateway/src/main.ts'), env, watch: src(...GATEWAY_SOURCES) },
    {
      name: 'worker-node',
      ...ts(nodeWorker),
      env: {},
      watch: src(dirname(nodeWorker), 'examples/contracts/src', 'packages/worker/src', 'packages/protocol/src', 'packages/transport/src'),
    },
  ];
  if (withPython) {
    specs.push({
      name: 'worker-python',
      cmd: PYTHON,
      args: [pyDemo],
      env: { PYTHONPATH: join(root, 'python'), PYTHONUNBUFFERED: '1' },
      watch: src(dirname(pyDemo), 'python/warren'),
    });
  } else if (!python) {
    say('Python workers are not started: their Debian packages are missing.');
  }
  supervise([...specs, ...web], { onLine: announce });
};

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
