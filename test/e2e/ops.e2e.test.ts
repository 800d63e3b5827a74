import { connect as amqpConnect, type ChannelModel } from 'amqplib';
import { SignJWT } from 'jose';
import type { Browser, Page } from 'playwright-core';
import { io, type Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { topology } from '@warren/protocol';
import { registerHandlers, type WorkerHandle } from '@warren/worker';
import { AMQP_URL } from '../support/rabbit.ts';
import { axeViolations, serious } from './axe.ts';
import { desktopPage, openPage, screenshot } from './browser.ts';
import { startDemo, type Stack } from './stack.ts';

const SECRET = 'an-e2e-secret-that-is-long-enough-for-hs256';
const ISSUER = 'https://issuer.e2e';
const AUDIENCE = 'warren-e2e';
const sign = (sub: string, roles: string[]) =>
  new SignJWT({ roles })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET));

let stack: Stack;
let browser: Browser;
let page: Page;
let socket: Socket;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  ({ stack, browser } = await startDemo({ gatewayEnv: { JWT_SECRET: SECRET, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, ALLOW_ANONYMOUS: 'true' } }));
  page = await desktopPage(browser);
  socket = io(stack.url, { transports: ['websocket'], reconnection: false });
  socket.on('response', (_r: unknown, ack: () => void) => ack());
  await new Promise<void>((resolve, reject) => {
    socket.once('session', () => resolve());
    socket.once('connect_error', reject);
  });
});

afterEach(async ({ task }) => {
  if (task.result?.state !== 'fail' || !page) return;
  await screenshot(page, `failed-ops-${task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 40)}`).catch(() => undefined);
  console.error(`--- gateway ---\n${stack.gateway().output().slice(-4000)}`);
});

afterAll(async () => {
  socket?.close();
  for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
  await browser?.close();
  await stack?.close();
});

/** Sends a request frame on the test's own socket; resolves with its final response. */
const call = (frame: Record<string, unknown>, timeoutMs = 30_000) =>
  new Promise<{ kind: string; error?: { code: string } }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer to ${String(frame.id)}`)), timeoutMs);
    const onResponse = (r: { id: string; kind: string; error?: { code: string } }) => {
      if (r.id !== frame.id || r.kind === 'chunk') return;
      clearTimeout(timer);
      socket.off('response', onResponse);
      resolve(r);
    };
    socket.on('response', onResponse);
    socket.emit('request', frame, (ack: { ok: boolean; error?: { code: string } }) => {
      if (!ack.ok) {
        clearTimeout(timer);
        socket.off('response', onResponse);
        resolve({ kind: 'error', error: ack.error! });
      }
    });
  });

const signIn = async (token: string) => {
  const ops = page.locator('[data-page="operations"]');
  await ops.getByTestId('ops-token').fill(token);
  await ops.getByRole('button', { name: 'Sign in' }).click();
};

describe('operations console', () => {
  it('is closed to anonymous visitors and to accounts without the operator role when auth is on', async () => {
    expect((await fetch(`${stack.url}/ops/api/overview`)).status).toBe(401);
    await openPage(page, stack.url, 'operations');
    const ops = page.locator('[data-page="operations"]');
    await ops.getByTestId('ops-denied').filter({ hasText: 'Sign in with an operator token' }).waitFor();
    expect(await ops.getByTestId('ops-console').count()).toBe(0);
    await screenshot(page, 'ops-anonymous');
    await signIn(await sign('bob', ['user']));
    await ops.getByTestId('ops-denied').filter({ hasText: 'does not have the "warren-ops" role' }).waitFor();
    expect(await ops.getByTestId('ops-console').count()).toBe(0);
  });

  it('a poisoned request is dead-lettered, inspected, replayed to a fixed worker and succeeds', async () => {
    const ops = page.locator('[data-page="operations"]');
    await signIn(await sign('olga', ['warren-ops']));
    await ops.getByTestId('ops-console').waitFor();

    // The poison: a consumer that hands every delivery back until RabbitMQ gives up on it.
    const topo = topology(stack.namespace);
    const model: ChannelModel = await amqpConnect(AMQP_URL);
    cleanups.push(() => model.close());
    const ch = await model.createChannel();
    const queue = topo.requestQueue('poisonable');
    await ch.assertQueue(queue, { durable: true, arguments: topo.requestQueueArguments() });
    await ch.bindQueue(queue, topo.requestsExchange, 'poisonable');
    let deliveries = 0;
    const { consumerTag } = await ch.consume(queue, (message) => {
      if (!message) return;
      deliveries += 1;
      ch.nack(message, false, true);
    });
    const id = `poison-${Date.now()}`;
    const verdict = await call({ id, type: 'poisonable', payload: { n: 21 }, timeoutMs: 60_000 });
    expect(verdict.error?.code).toBe('DELIVERY_LIMIT');
    expect(deliveries).toBeGreaterThan(5);
    await ch.cancel(consumerTag);
    await ch.close();

    // It is listed, with the failure it caused.
    const row = ops.locator(`[data-testid="dead-letter"][data-request-id="${id}"]`);
    await row.waitFor({ timeout: 10_000 });
    expect(await row.textContent()).toMatch(/workers failed \d+ times/);
    await ops.getByTestId('ops-failures').filter({ hasText: id }).waitFor();
    expect(await ops.getByTestId('ops-failures').textContent()).toMatch(/DELIVERY_LIMIT[\s\S]*trace [0-9a-f]{32}/);

    // Inspect: the payload as it was sent.
    await row.getByRole('button', { name: 'Inspect' }).click();
    await row.getByTestId('dead-letter-detail').waitFor();
    expect(JSON.parse((await row.getByTestId('dead-letter-detail').locator('pre').textContent())!)).toEqual({ n: 21 });

    // The fix is deployed: a worker that handles it.
    const fixed: WorkerHandle = await registerHandlers(
      { service: 'fixed-worker', url: AMQP_URL, namespace: stack.namespace },
      { poisonable: (payload: { n: number }) => ({ doubled: payload.n * 2 }) },
    );
    cleanups.push(() => fixed.close());
    await ops
      .locator('[data-testid="ops-types"] tr[data-type="poisonable"]')
      .filter({ hasText: /poisonable\s*0\s*0\s*1/ })
      .waitFor({ timeout: 10_000 });

    await row.getByRole('button', { name: 'Replay' }).click();
    await row.getByTestId('replay-status').filter({ hasText: 'succeeded' }).waitFor({ timeout: 15_000 });
    expect(await row.getByTestId('replay-status').textContent()).toMatch(/Replayed by sub:olga at .*: succeeded/);
    const logged = await stack.gateway().waitFor((l) => l.msg === 'ops: dead letter replayed', 5000);
    expect(logged).toMatchObject({ principal: 'sub:olga', requestId: id, type: 'poisonable' });
    await stack.gateway().waitFor((l) => l.msg === 'ops: dead letter inspected' && l.principal === 'sub:olga', 1000);
    await screenshot(page, 'ops-dead-letter-replayed');
  });

  it('shows in-flight calls with age and attempt, the queues and the workers, live', async () => {
    const ops = page.locator('[data-page="operations"]');
    const running = call({ id: `long-${Date.now()}`, type: 'longTask', payload: { steps: 12, stepMs: 500 }, timeoutMs: 30_000 });
    // Type, age, attempt: once the worker's first chunk is back, the attempt is known.
    await ops
      .getByTestId('ops-inflight')
      .locator('tr')
      .filter({ hasText: /longTask\s*\d+(\.\d)? (ms|s)\s*1/ })
      .waitFor({ timeout: 8000 });
    const workers = (await ops.getByTestId('ops-workers').textContent()) ?? '';
    expect(workers).toMatch(/demo-node\s*Node/);
    expect(workers).toMatch(/demo-workers\s*Python/);
    expect(workers).toMatch(/fixed-worker\s*Node/);
    // In flight 1, none waiting in the queue, one consumer, one live instance.
    await ops
      .locator('[data-testid="ops-types"] tr[data-type="longTask"]')
      .filter({ hasText: /longTask\s*1\s*0\s*1\s*1/ })
      .waitFor({ timeout: 6000 });
    await screenshot(page, 'ops-console');
    expect((await running).kind).toBe('result');
    await ops
      .getByTestId('ops-throughput')
      .filter({ hasText: /^\d+\.\d$/ })
      .waitFor();
  });

  it('axe-core: no serious or critical violations on any page, light and dark', async () => {
    const found: string[] = [];
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const route of ['console', 'chat', 'long-task', 'errors', 'operations']) {
        await openPage(page, stack.url, route);
        const section = page.locator(`[data-page="${route}"]`);
        if (route === 'console' && scheme === 'light') {
          await section.getByTestId('console-send').click();
          await section.getByTestId('console-result').waitFor({ timeout: 10_000 });
          await section.getByTestId('hop-timeline').waitFor();
        }
        if (route === 'chat' && scheme === 'light') {
          await section.getByTestId('chat-input').fill('Hello, my name is Ada');
          await section.getByTestId('chat-input').press('Enter');
          await section.getByTestId('chat-assistant').first().waitFor({ timeout: 20_000 });
        }
        if (route === 'errors' && scheme === 'light') {
          await section.getByRole('button', { name: 'Trigger NO_HANDLER' }).click();
          await section.getByTestId('error-notice').first().waitFor({ timeout: 10_000 });
          await section.getByText('Details for a bug report').first().click();
        }
        for (const v of serious(await axeViolations(page))) found.push(`${scheme} ${route}: ${v.id} (${v.impact}) ${v.help} ${v.nodes.join(' ')}`);
      }
    }
    await page.emulateMedia({ colorScheme: 'light' });
    expect(found).toEqual([]);
  });
});
