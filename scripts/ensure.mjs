// Installs what `npm start` and `npm test` need, on a fresh clone: npm
// packages, the Python SDK's Debian packages, Chromium for browser tests, and
// a running RabbitMQ when one is installed but stopped. Plain Node, no deps.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const PYTHON = '/usr/bin/python3';
// mypy: the SDK's --strict check; build + ensurepip (python3-venv): the wheel test that installs into a fresh venv;
// uvloop: the faster event loop worker.run() picks when installed (the bench measures the SDK as users run it).
const PY_MODULES = {
  aio_pika: 'python3-aio-pika',
  pytest: 'python3-pytest',
  pytest_asyncio: 'python3-pytest-asyncio',
  jsonschema: 'python3-jsonschema',
  mypy: 'mypy',
  build: 'python3-build',
  ensurepip: 'python3-venv',
  uvloop: 'python3-uvloop',
};

export const say = (msg) => console.log(`\x1b[36m[warren]\x1b[0m ${msg}`);
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

export const ensureNodeModules = () => {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  const stale = !existsSync(marker) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs + 1000);
  if (!stale) return;
  say('installing npm packages…');
  const args = ['--no-audit', '--no-fund'];
  if (!existsSync(lock)) return void execFileSync('npm', ['install', ...args], { cwd: root, stdio: 'inherit' });
  try {
    execFileSync('npm', ['ci', ...args], { cwd: root, stdio: 'inherit' });
  } catch {
    // A registry that lacks some optional platform package makes npm ci refuse
    // a lock made elsewhere; npm install resolves around it. Said out loud.
    say('npm ci refused the lock file (see above); falling back to npm install');
    execFileSync('npm', ['install', ...args], { cwd: root, stdio: 'inherit' });
  }
};

let aptUpdated = false;
const aptInstall = (packages) => {
  if (!isRoot() || !has('apt-get')) return false;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    aptUpdated = true;
  }
  return spawnSync('apt-get', ['install', '-y', '-qq', ...packages], { stdio: 'inherit', env }).status === 0;
};

const missingPython = () => {
  if (!existsSync(PYTHON)) return Object.values(PY_MODULES);
  return Object.entries(PY_MODULES)
    .filter(([mod]) => spawnSync(PYTHON, ['-c', `import ${mod}`], { stdio: 'ignore' }).status !== 0)
    .map(([, pkg]) => pkg);
};

/** True when the Python SDK can run; installs Debian packages when missing. */
export const ensurePython = () => {
  let missing = missingPython();
  if (missing.length === 0) return true;
  say(`installing Python packages from Debian: ${missing.join(' ')}`);
  aptInstall(['python3', ...missing]);
  missing = missingPython();
  if (missing.length > 0) say(`Python packages still missing (${missing.join(' ')}); install them with apt-get as root.`);
  return missing.length === 0;
};

export const CHROMIUM = '/usr/bin/chromium';
export const ensureChromium = () => {
  if (existsSync(CHROMIUM)) return true;
  say('installing Debian chromium for browser tests…');
  aptInstall(['chromium']);
  return existsSync(CHROMIUM);
};

const amqpTarget = () => {
  const url = new URL(process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672');
  return { host: url.hostname || '127.0.0.1', port: Number(url.port || 5672) };
};

export const portOpen = ({ host, port }, timeoutMs = 1000) =>
  new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** True when RabbitMQ answers; starts a local one that is installed but stopped. */
export const ensureRabbit = async ({ waitMs = 90_000 } = {}) => {
  const target = amqpTarget();
  if (await portOpen(target)) return true;
  const local = ['127.0.0.1', 'localhost', '::1'].includes(target.host);
  if (!local || !has('rabbitmq-server')) return false;
  if (has('rabbitmqctl') && spawnSync('rabbitmqctl', ['-q', 'status'], { stdio: 'ignore', timeout: 15_000 }).status === 0) {
    say(`RabbitMQ is running but not at ${target.host}:${target.port}; check AMQP_URL.`);
    return false;
  }
  say('RabbitMQ is installed but not running; starting it (rabbitmq-server -detached)…');
  spawnSync('rabbitmq-server', ['-detached'], { stdio: 'ignore' });
  const until = Date.now() + waitMs;
  while (Date.now() < until) {
    if (await portOpen(target)) {
      // The port opens a moment before the broker takes connections.
      if (has('rabbitmqctl')) spawnSync('rabbitmqctl', ['await_startup', '--timeout', '60'], { stdio: 'ignore' });
      say('RabbitMQ is up.');
      return true;
    }
    await sleep(500);
  }
  say('RabbitMQ did not come up in time.');
  return false;
};

export const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));
