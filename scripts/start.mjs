// `npm start`: installs what is missing, starts RabbitMQ when it is installed
// but stopped, then runs the gateway (serving the web app) and the demo
// workers in Node/Bun and Python. Without a reachable broker it runs
// everything in one process on the in-process transport, and says so.
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ensureNodeModules, ensurePython, ensureRabbit, PYTHON, root, say } from './ensure.mjs';
import { tsCommand } from './launch.mjs';
import { loadSessionSecret } from './session-secret.mjs';
import { supervise } from './supervise.mjs';

const port = process.env.PORT ?? '3000';
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

const main = async () => {
  ensureNodeModules();
  const staticDir = await buildWeb();
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
  const env = { PORT: port, SESSION_SECRET: sessionSecret, ...(staticDir ? { STATIC_DIR: staticDir } : {}) };
  const pyDemo = join(root, 'python/examples/run_demo_workers.py');
  const withPython = rabbit && python && existsSync(pyDemo);
  let announced = false;
  const announce = (name, line) => {
    if (announced || name !== 'gateway' || !line.includes('gateway listening')) return;
    announced = true;
    const url = `http://localhost:${port}`;
    banner(
      rabbit
        ? [`Warren is running at ${url}`, `RabbitMQ transport · workers: Node (${runtime})${withPython ? ' + Python' : ''}`, `Try: npx warren call testRequest '{"count":3}'`, 'Ctrl-C stops everything.']
        : [
            'EMBEDDED MODE — no RabbitMQ could be reached or started.',
            `Warren is running at ${url} on the in-process transport,`,
            'with the Node workers inside the gateway process.',
            'Python workers and multi-process delivery need RabbitMQ (set AMQP_URL).',
            `Try: npx warren call testRequest '{"count":3}'`,
          ],
    );
  };

  if (!rabbit) {
    supervise([{ name: 'gateway', ...ts('scripts/embedded.ts'), env }], { onLine: announce });
    return;
  }
  const specs = [
    { name: 'gateway', ...ts('packages/gateway/src/main.ts'), env },
    { name: 'worker-node', ...ts('examples/workers-node/src/main.ts'), env: {} },
  ];
  if (withPython) {
    specs.push({ name: 'worker-python', cmd: PYTHON, args: [pyDemo], env: { PYTHONPATH: join(root, 'python'), PYTHONUNBUFFERED: '1' } });
  } else if (!python) {
    say('Python workers are not started: their Debian packages are missing.');
  }
  supervise(specs, { onLine: announce });
};

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
