// `npm run dev` (scripts/start.mjs --dev) as a developer uses it: the same
// stack as `npm start`, with the web app on Vite's dev server (proxying the
// gateway) and every process restarted when its files change. The demo
// workers run from copies under test-artifacts/ (WARREN_DEV_NODE_WORKER,
// WARREN_DEV_PYTHON_WORKER), so editing them leaves the repository as it was;
// the test edits each copy and the next call is answered by the new code,
// with nothing restarted by hand. A gateway source file is touched (its
// content unchanged) and the gateway restarts too.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root } from '../support/processes.ts';
import { deleteNamespace, uniqueNamespace } from '../support/rabbit.ts';
import { DESKTOP, launchBrowser, openPage, screenshot } from './browser.ts';
import { freePort, isReadyLine, runNpmStart } from './run-start.ts';

const namespace = uniqueNamespace('e2edev');
const stateDir = mkdtempSync(join(tmpdir(), 'warren-state-'));
// Inside the repository (git-ignored), so the copies resolve the workspace's packages.
const copies = join(root, 'test-artifacts', `dev-${randomBytes(4).toString('hex')}`);
const nodeCopy = join(copies, 'workers-node');
const pyCopy = join(copies, 'py', 'examples');
let app: ReturnType<typeof runNpmStart>;
let gatewayUrl: string;
let viteUrl: string;
let browser: Browser | undefined;

/** One call through the gateway on a fresh socket: its chunks and its final message. */
const call = async (type: string, payload: unknown) => {
  const socket: Socket = io(gatewayUrl, { transports: ['websocket'], reconnection: false, forceNew: true });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('session', () => resolve());
      socket.once('connect_error', reject);
    });
    const id = `dev-${randomBytes(6).toString('hex')}`;
    return await new Promise<{ chunks: unknown[]; final: { kind: string; data?: unknown; error?: unknown } }>((resolve, reject) => {
      const chunks: unknown[] = [];
      const timer = setTimeout(() => reject(new Error(`${type}: no answer`)), 20_000);
      socket.on('response', (r: { id: string; kind: string; data?: unknown; error?: unknown }, ack: () => void) => {
        ack();
        if (r.id !== id) return;
        if (r.kind === 'chunk') chunks.push(r.data);
        else {
          clearTimeout(timer);
          resolve({ chunks, final: r });
        }
      });
      socket.emit('request', { id, type, payload, timeoutMs: 15_000 }, (ack: { ok: boolean; error?: unknown }) => {
        if (!ack.ok) {
          clearTimeout(timer);
          reject(new Error(`${type} refused: ${JSON.stringify(ack.error)}`));
        }
      });
    });
  } finally {
    socket.close();
  }
};

const edit = (file: string, from: string | RegExp, to: string) => {
  const text = readFileSync(file, 'utf8');
  const next = text.replace(from, to);
  expect(next, `${file} did not contain ${String(from)}`).not.toBe(text);
  writeFileSync(file, next);
};

beforeAll(async () => {
  mkdirSync(copies, { recursive: true });
  cpSync(join(root, 'examples/workers-node/src'), nodeCopy, { recursive: true });
  cpSync(join(root, 'python/examples'), pyCopy, { recursive: true, filter: (src) => !src.includes('__pycache__') });
  const [port, vitePort] = [await freePort(), await freePort()];
  gatewayUrl = `http://127.0.0.1:${port}`;
  viteUrl = `http://127.0.0.1:${vitePort}`;
  app = runNpmStart(
    {
      PORT: String(port),
      VITE_PORT: String(vitePort),
      HOST: '127.0.0.1',
      WARREN_NAMESPACE: namespace,
      WARREN_STATE_DIR: stateDir,
      WARREN_DEV_NODE_WORKER: join(nodeCopy, 'main.ts'),
      WARREN_DEV_PYTHON_WORKER: join(pyCopy, 'run_demo_workers.py'),
    },
    ['--dev'],
  );
  await app.waitFor((l) => l.includes('Warren is running at') && l.includes('hot reload'), 60_000);
  await app.waitFor(isReadyLine('worker-node'), 20_000);
  await app.waitFor(isReadyLine('worker-python', 'chat'), 20_000);
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await deleteNamespace(namespace);
  rmSync(stateDir, { recursive: true, force: true });
  rmSync(copies, { recursive: true, force: true });
});

describe('npm run dev', () => {
  it('serves the web app from Vite with hot reload, proxying the gateway (Socket.IO included)', async () => {
    const html = await (await fetch(`${viteUrl}/`)).text();
    expect(html).toContain('/@vite/client');
    expect(((await (await fetch(`${viteUrl}/registry`)).json()) as { protocolVersion: number }).protocolVersion).toBe(1);
    browser = await launchBrowser();
    const page = await browser.newPage({ viewport: DESKTOP });
    await openPage(page, viteUrl, 'console');
    const c = page.locator('[data-page="console"]');
    await c.getByTestId('console-payload').fill('{ "count": 2, "delayMs": 10 }');
    await c.getByTestId('console-send').click();
    await c.getByTestId('console-result').waitFor({ timeout: 10_000 });
    await screenshot(page, 'npm-dev-vite');
    await page.close();
  });

  it('an edit to the Node worker: the next call is answered by the new code', async () => {
    expect((await call('testRequest', { count: 1, delayMs: 0 })).chunks).toEqual([{ seq: 0, text: 'chunk 1 of 1' }]);
    const from = app.lines.length;
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the source text being edited, not a template
    edit(join(nodeCopy, 'handlers.ts'), 'text: `chunk ${seq + 1} of ${count}`', 'text: `edited chunk ${seq + 1} of ${count}`');
    await app.waitFor((l) => l.startsWith('worker-node') && l.includes('handlers.ts changed; restarting'), 10_000, from);
    await app.waitFor(isReadyLine('worker-node'), 20_000, from);
    expect((await call('testRequest', { count: 1, delayMs: 0 })).chunks).toEqual([{ seq: 0, text: 'edited chunk 1 of 1' }]);
  });

  it('an edit to the Python worker: the next call is answered by the new code', async () => {
    const before = (await call('chat', { message: 'hello' })).final.data as { reply: string };
    expect(before.reply).not.toMatch(/^Edited in dev\./);
    const from = app.lines.length;
    edit(join(pyCopy, 'chat_worker.py'), /^OPENERS = \[.*\]$/m, 'OPENERS = ["Edited in dev."]');
    await app.waitFor((l) => l.startsWith('worker-python') && l.includes('chat_worker.py changed; restarting'), 10_000, from);
    await app.waitFor(isReadyLine('worker-python', 'chat'), 20_000, from);
    const after = (await call('chat', { message: 'hello' })).final.data as { reply: string };
    expect(after.reply).toMatch(/^Edited in dev\. You said "hello"/);
  });

  it('a change to a gateway source file restarts the gateway, which answers again', async () => {
    const from = app.lines.length;
    const file = join(root, 'packages/gateway/src/main.ts');
    const now = new Date();
    utimesSync(file, now, now); // content untouched: the repository stays as it was
    await app.waitFor((l) => l.startsWith('gateway') && l.includes('main.ts changed; restarting'), 10_000, from);
    await app.waitFor(isReadyLine('gateway'), 20_000, from);
    expect((await call('testRequest', { count: 1, delayMs: 0 })).final.kind).toBe('result');
    expect(app.pids.get('gateway')!.length).toBe(2);
  });
});
