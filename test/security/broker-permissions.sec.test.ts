// The least-privilege RabbitMQ users of scripts/rabbitmq-users.sh: the whole
// stack works with them, and each user is refused what it must not do.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { connect as amqpConnect, type ConfirmChannel as Channel } from 'amqplib';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ack, Response } from '@warren/protocol';
import { killAll, root, startProcess, isReady, type Proc } from '../support/processes.ts';
import { AMQP_URL, deleteNamespace, uniqueNamespace } from '../support/rabbit.ts';

const run = promisify(execFile);
const namespace = uniqueNamespace('perm');
const other = uniqueNamespace('permother');
const passwords = { gateway: randomBytes(12).toString('hex'), worker: randomBytes(12).toString('hex') };
const urlFor = (who: 'gateway' | 'worker') => {
  const u = new URL(AMQP_URL);
  u.username = `${namespace}-${who}`;
  u.password = passwords[who];
  return u.toString();
};
const users = (action: 'create' | 'delete') =>
  run('bash', ['scripts/rabbitmq-users.sh', action, namespace], {
    cwd: root,
    env: { ...process.env, WARREN_GATEWAY_PASSWORD: passwords.gateway, WARREN_WORKER_PASSWORD: passwords.worker },
  });

/** Runs `op` on a fresh channel as `who`; resolves 'ok' or the broker's refusal code (403 = ACCESS_REFUSED). */
const attempt = async (who: 'gateway' | 'worker', op: (ch: Channel) => Promise<unknown>): Promise<string | number> => {
  const model = await amqpConnect(urlFor(who));
  try {
    const ch = await model.createConfirmChannel();
    // A refusal closes the channel with the code; the operation itself may only see "channel closed".
    let refusal: number | undefined;
    const closed = new Promise<void>((resolve) => ch.once('close', () => resolve()));
    ch.on('error', (error: { code?: number }) => (refusal = error.code));
    return await op(ch).then(
      () => 'ok' as const,
      async (error: { code?: number }) => {
        await Promise.race([closed, new Promise((r) => setTimeout(r, 1000))]);
        return refusal ?? error.code ?? 'error';
      },
    );
  } finally {
    await model.close().catch(() => {});
  }
};

describe('least-privilege broker users (scripts/rabbitmq-users.sh)', () => {
  let gatewayUrl = '';
  let gatewayProc: Proc;
  let workerProc: Proc;

  beforeAll(async () => {
    await users('create');
    // Another app's namespace on the same vhost, declared by the admin user.
    const admin = await amqpConnect(AMQP_URL);
    const ch = await admin.createChannel();
    await ch.assertExchange(`${other}.requests`, 'direct', { durable: true });
    await ch.assertQueue(`${other}.req.secret`, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await ch.bindQueue(`${other}.req.secret`, `${other}.requests`, 'secret');
    await admin.close();

    const gateway = startProcess('bun', 'packages/gateway/src/main.ts', {
      PORT: '0',
      HOST: '127.0.0.1',
      WARREN_NAMESPACE: namespace,
      AMQP_URL: urlFor('gateway'),
    });
    gatewayUrl = String((await gateway.waitFor(isReady)).url);
    const worker = startProcess('bun', 'test/security/fixtures/worker.ts', { WARREN_NAMESPACE: namespace, AMQP_URL: urlFor('worker') });
    await worker.waitFor(isReady);
    gatewayProc = gateway;
    workerProc = worker;
  });

  afterAll(async () => {
    await killAll();
    await users('delete');
    await deleteNamespace(namespace);
    await deleteNamespace(other);
    const { stdout } = await run('rabbitmqctl', ['-q', 'list_users']);
    expect(stdout).not.toContain(namespace);
  });

  it('serves requests end to end with the gateway and worker users', async () => {
    const socket = io(gatewayUrl, { transports: ['websocket'], reconnection: false });
    try {
      const responses: Response[] = [];
      socket.on('response', (r: Response, ack: () => void) => {
        responses.push(r);
        ack();
      });
      const ack = await new Promise<Ack>((resolve) => socket.emit('request', { id: 'p1', type: 'stream', payload: { count: 3 } }, resolve));
      expect(ack).toEqual({ ok: true, id: 'p1' });
      const end = Date.now() + 10_000;
      while (!responses.some((r) => r.kind !== 'chunk') && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      expect(responses.map((r) => r.kind)).toEqual(['chunk', 'chunk', 'chunk', 'result']);
      const cancelled = await new Promise<Ack>((resolve) => socket.emit('request', { id: 'p2', type: 'slow', payload: { delayMs: 5000 } }, resolve));
      expect(cancelled.ok).toBe(true);
      socket.emit('cancel', { id: 'p2', type: 'slow' });
      while (!responses.some((r) => r.id === 'p2') && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      expect(responses.find((r) => r.id === 'p2')).toMatchObject({ kind: 'error', error: { code: 'CANCELLED' } });
      // A retained call: the gateway user declares its lock and queue, reads it, and a second send attaches.
      const keyed = await new Promise<Ack>((resolve) => socket.emit('request', { id: 'k1', type: 'stream', payload: { count: 2 }, key: 'perm-key' }, resolve));
      expect(keyed).toEqual({ ok: true, id: 'k1' });
      while (!responses.some((r) => r.id === 'k1' && r.kind !== 'chunk') && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      const again = await new Promise<Ack>((resolve) =>
        socket.emit('request', { id: 'k2', type: 'stream', payload: { count: 2 }, key: 'perm-key', attach: true }, resolve),
      );
      expect(again).toEqual({ ok: true, id: 'k2', attached: true });
      while (!responses.some((r) => r.id === 'k2' && r.kind !== 'chunk') && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      expect(responses.filter((r) => r.id === 'k2').map((r) => r.kind)).toEqual(['chunk', 'chunk', 'result']);
      expect(await (await fetch(`${gatewayUrl}/readyz`)).json()).toMatchObject({ status: 'ready' });
      // The cancel stream works with these users: the gateway declared it and appended the
      // cancel, the worker read it and its start-up marker came back (no warning from either).
      await gatewayProc.waitFor((line) => line.msg === 'cancel forwarded' && line.requestId === 'p2', 5000);
      expect(gatewayProc.output()).not.toMatch(/cancel stream|could not be forwarded/);
      expect(workerProc.output()).not.toMatch(/\.cancels|cancel stream|marker/);
    } finally {
      socket.close();
    }
  });

  it('refuses the worker user: publishing requests, reading or declaring in another namespace', async () => {
    const publish = (exchange: string, key: string) => (ch: Channel) =>
      new Promise((resolve, reject) =>
        ch.publish(exchange, key, Buffer.from('{}'), { correlationId: 'forged' }, (err: unknown) => (err ? reject(err) : resolve(null))),
      );
    expect(await attempt('worker', publish(`${namespace}.requests`, 'whoami'))).toBe(403);
    expect(await attempt('worker', (ch) => ch.consume(`${other}.req.secret`, () => {}))).toBe(403);
    expect(
      await attempt('worker', (ch) => ch.checkQueue(`${namespace}.reply.someone`).then(() => ch.consume(`${namespace}.reply.someone`, () => {}))),
    ).not.toBe('ok');
    expect(await attempt('worker', (ch) => ch.assertQueue(`${other}.req.mine`, { durable: true }))).toBe(403);
    expect(await attempt('worker', (ch) => ch.assertExchange(`${other}.requests`, 'direct', { durable: true }))).toBe(403);
    // What it needs stays allowed.
    expect(await attempt('worker', (ch) => ch.checkQueue(`${namespace}.req.whoami`))).toBe('ok');
  });

  it('refuses the gateway user: reading request queues, or anything of another namespace', async () => {
    expect(await attempt('gateway', (ch) => ch.consume(`${namespace}.req.whoami`, () => {}))).toBe(403);
    expect(await attempt('gateway', (ch) => ch.consume(`${other}.req.secret`, () => {}))).toBe(403);
    expect(await attempt('gateway', (ch) => ch.deleteQueue(`${namespace}.req.whoami`))).toBe(403);
    expect(await attempt('gateway', (ch) => ch.consume(`${namespace}.cancels`, () => {}, { arguments: { 'x-stream-offset': 'first' } }))).toBe(403);
    const publish = (ch: Channel) =>
      new Promise((resolve, reject) => ch.publish(`${other}.requests`, 'secret', Buffer.from('{}'), {}, (err: unknown) => (err ? reject(err) : resolve(null))));
    expect(await attempt('gateway', publish)).toBe(403);
  });
});
