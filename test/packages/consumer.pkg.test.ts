// The packages as a user gets them (issue 13): `npm pack` every package,
// install the tarballs into fresh projects in a temporary directory outside
// the repository, and make a real streamed call through each:
//   - plain Node ESM worker and client, no TypeScript loader;
//   - the same worker under Bun;
//   - `warren call` from the installed CLI;
//   - TypeScript projects with `strict: false` and with `moduleResolution:
//     node16`, each typechecking and compiling a worker and a client;
//   - a Vite + React + TS app built in production mode, served by the gateway
//     started from its installed tarball, driven in Debian's Chromium;
//   - the same packages bundled by webpack 5.
// Any install, type or run-time error fails it. Third-party dependencies come
// from the npm registry through the local npm cache.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without declarations
import { precompress } from '../../scripts/build-web.mjs';
import { launchBrowser } from '../e2e/browser.ts';
import { launch, type Launched } from '../../scripts/launch.mjs';
import { isReady, root } from '../support/processes.ts';
import { deleteNamespace } from '../support/rabbit.ts';

const exec = promisify(execFile);
const PACKAGES = ['protocol', 'transport', 'client', 'worker', 'react', 'gateway', 'cli'];
const fixtures = join(root, 'test/packages/fixtures');
const bin = (name: string) => join(root, 'node_modules/.bin', name);
// Versions the repository itself is tested with (its lockfile), so the npm cache has them.
const versionOf = (name: string): string => JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;

const work = mkdtempSync(join(tmpdir(), 'warren-packages-'));
const tarballs = join(work, 'tarballs');
const nodeApp = join(work, 'node-app');
const viteApp = join(work, 'vite-app');
const namespace = `pkg${Math.random().toString(36).slice(2, 8)}`;
const keep = Boolean(process.env.WARREN_KEEP_PACKAGES_DIR);

// Under `npm test`, npm hands its own settings to scripts as npm_* variables
// (the repository as local prefix, the command, …); a consumer's npm must
// not inherit them, or it installs as if it were inside this repository.
const cleanEnv = () => Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));

const run = async (cmd: string, args: string[], cwd: string, env: Record<string, string> = {}) => {
  try {
    return await exec(cmd, args, { cwd, env: { ...cleanEnv(), WARREN_NAMESPACE: namespace, ...env }, maxBuffer: 64 * 1024 * 1024, timeout: 180_000 });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
};

// npm without the repository's workspace: a clean environment for the consumer.
const npm = (args: string[], cwd: string) =>
  run('npm', [...args, '--include=dev', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], cwd, {
    npm_config_workspaces: '',
    npm_config_workspace: '',
  });

// The one launcher (scripts/launch.mjs): lines parsed, waited for by their `ready` event.
const start = (cmd: string, args: string[], cwd: string, env: Record<string, string>): Launched =>
  launch(`${cmd} ${args.join(' ')}`, cmd, args, { cwd, env: { WARREN_NAMESPACE: namespace, LOG_LEVEL: 'info', ...env } });
const stop = (proc: Launched) => proc.kill('SIGTERM', 10_000);
const ready = (proc: Launched) => proc.waitFor(isReady, { timeoutMs: 30_000 });

// The program's own line (the worker's pino logs share stdout).
const until = async (check: () => Promise<boolean>, ms = 15_000) => {
  const end = Date.now() + ms;
  while (!(await check().catch(() => false))) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 200));
  }
};
const lastJson = (stdout: string) =>
  JSON.parse(
    stdout
      .trim()
      .split('\n')
      .findLast((l) => l.includes('"words"')) ?? 'null',
  );
const GREETING = { words: ['Hello', ',', ' Ada'] };
// Not a dependency of the repository: the consumer project gets it from the registry.
const WEBPACK = '^5.100.0';

let gateway: Launched;
let gatewayUrl = '';
const procs: Launched[] = [];

beforeAll(async () => {
  mkdirSync(tarballs, { recursive: true });
  // prepack builds each package's dist/ (in dependency order, as listed).
  for (const name of PACKAGES) await npm(['pack', '--pack-destination', tarballs], join(root, 'packages', name));
  const tgz = (name: string) => `file:${join(tarballs, readdirSync(tarballs).find((f) => f.startsWith(`warren-${name}-`))!)}`;

  cpSync(join(fixtures, 'node-app'), nodeApp, { recursive: true });
  writeFileSync(
    join(nodeApp, 'package.json'),
    JSON.stringify({
      name: 'consumer-node-app',
      private: true,
      type: 'module',
      dependencies: {
        ...Object.fromEntries(['protocol', 'transport', 'client', 'worker', 'gateway', 'cli'].map((n) => [`@warren/${n}`, tgz(n)])),
        zod: `^${versionOf('zod')}`,
      },
      devDependencies: { '@types/node': versionOf('@types/node') },
    }),
  );
  cpSync(join(fixtures, 'vite-app'), viteApp, { recursive: true });
  writeFileSync(
    join(viteApp, 'package.json'),
    JSON.stringify({
      name: 'consumer-vite-app',
      private: true,
      type: 'module',
      dependencies: {
        ...Object.fromEntries(['protocol', 'client', 'react'].map((n) => [`@warren/${n}`, tgz(n)])),
        react: versionOf('react'),
        'react-dom': versionOf('react-dom'),
        zod: `^${versionOf('zod')}`,
      },
      devDependencies: {
        vite: versionOf('vite'),
        '@vitejs/plugin-react': versionOf('@vitejs/plugin-react'),
        '@types/react': versionOf('@types/react'),
        '@types/react-dom': versionOf('@types/react-dom'),
        webpack: WEBPACK,
      },
    }),
  );
  await Promise.all([npm(['install'], nodeApp), npm(['install'], viteApp)]);

  gateway = start(process.execPath, [join(nodeApp, 'node_modules/@warren/gateway/bin/warren-gateway.mjs')], nodeApp, {
    PORT: '0',
    HOST: '127.0.0.1',
    STATIC_DIR: join(viteApp, 'dist'),
  });
  procs.push(gateway);
  gatewayUrl = String((await ready(gateway)).url);
}, 300_000);

afterAll(async () => {
  await Promise.all(procs.map(stop));
  // Its request queue, dead letters and cancel stream are durable: left, they outlive every run.
  await deleteNamespace(namespace);
  if (!keep) rmSync(work, { recursive: true, force: true });
});

describe('the packed packages, installed outside the repository', () => {
  it('ship dist/ and no TypeScript source or tests', () => {
    for (const name of PACKAGES) {
      const dir = join(nodeApp, 'node_modules/@warren', name);
      if (!existsSync(dir)) continue; // react is only in the Vite app
      const files = readdirSync(dir);
      expect(files).toContain('dist');
      expect(files).toContain('LICENSE');
      expect(files).not.toContain('src');
      expect(files).not.toContain('test');
    }
    expect(existsSync(join(nodeApp, 'node_modules/tsx'))).toBe(false);
  });

  it('serve a streamed call on plain Node: JavaScript worker and client, no loader', async () => {
    const worker = start(process.execPath, ['worker.mjs'], nodeApp, {});
    procs.push(worker);
    await ready(worker);
    const { stdout } = await run(process.execPath, ['client.mjs', gatewayUrl], nodeApp);
    expect(lastJson(stdout)).toEqual({ ...GREETING, result: { greeting: 'Hello, Ada (from node)' } });
    // Once the gateway knows greet's schema, a 20 kB payload is checked on the
    // gateway's validation thread, which must load from the installed dist/.
    await until(async () => JSON.stringify(await (await fetch(`${gatewayUrl}/registry`)).json()).includes('"greet"'));
    const large = await run(process.execPath, ['client.mjs', gatewayUrl, '--large'], nodeApp);
    expect(lastJson(large.stdout)).toEqual({ words: ['Hello', ',', '20001 chars'], result: { length: 20_007 + ' (from node)'.length } });
    expect(gateway.output()).not.toMatch(/validation thread|payload check failed/);
    await stop(worker);
  });

  it('serve the same worker under Bun, and `warren call` from the installed CLI', async () => {
    const worker = start(bin('bun'), ['worker.mjs'], nodeApp, {});
    procs.push(worker);
    await ready(worker);
    const { stdout } = await run(process.execPath, ['client.mjs', gatewayUrl], nodeApp);
    expect(lastJson(stdout)).toEqual({ ...GREETING, result: { greeting: 'Hello, Ada (from bun)' } });
    const cli = await run(join(nodeApp, 'node_modules/.bin/warren'), ['call', 'greet', '{"name":"Ada"}', '--url', gatewayUrl], nodeApp);
    expect(cli.stdout).toContain('"word":"Hello"');
    expect(cli.stdout).toContain('Hello, Ada (from bun)');
    await stop(worker);
  });

  for (const variant of ['loose', 'node16']) {
    it(`typecheck and run in a TypeScript project (${variant === 'loose' ? 'strict: false' : 'moduleResolution: node16'})`, async () => {
      await run(bin('tsc'), ['-p', `tsconfig.${variant}.json`], nodeApp);
      const { stdout } = await run(process.execPath, [join(`out-${variant}`, 'typed.js'), gatewayUrl], nodeApp);
      expect(lastJson(stdout)).toEqual({ ...GREETING, result: { greeting: 'Hello, Ada' } });
    });
  }

  it('bundle with webpack 5 in production mode, without a loader', async () => {
    const { stdout } = await run(process.execPath, ['build-webpack.mjs'], viteApp);
    expect(JSON.parse(stdout).assets[0].size).toBeGreaterThan(1000);
  });

  it('build a Vite + React + TS app in production mode that streams a call in Chromium', async () => {
    await run(bin('tsc'), ['-p', 'tsconfig.json'], viteApp);
    await run(join(viteApp, 'node_modules/.bin/vite'), ['build', '--logLevel', 'warn'], viteApp, { NODE_ENV: 'production' });
    expect(precompress(join(viteApp, 'dist')).files).toBeGreaterThan(0);
    const worker = start(process.execPath, ['worker.mjs'], nodeApp, {});
    procs.push(worker);
    await ready(worker);
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      const encodings: (string | undefined)[] = [];
      page.on('response', (r) => {
        if (r.url().endsWith('.js')) encodings.push(r.headers()['content-encoding']);
      });
      await page.goto(gatewayUrl);
      await page.getByTestId('connection').filter({ hasText: 'connected' }).waitFor({ timeout: 15_000 });
      await page.getByRole('button', { name: 'Greet' }).click();
      await page.getByTestId('result').waitFor({ timeout: 15_000 });
      expect(await page.getByTestId('chunks').textContent()).toBe('Hello, Ada');
      expect(await page.getByTestId('result').textContent()).toBe('Hello, Ada (from node)');
      expect(errors).toEqual([]);
      // Served precompressed by the installed gateway.
      expect(encodings).toContain('br');
    } finally {
      await browser.close();
      await stop(worker);
    }
  });
});
