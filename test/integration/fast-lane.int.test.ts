// The fast lane on RabbitMQ (issue 16, decision 0016), beyond what the
// conformance cases show: what its messages look like on the broker
// (non-persistent, the session in a header, the gateway's server-named
// reply queue), at most once (a redelivered fast request is dropped unrun),
// a bounded number of handlers per worker (prefetch, not auto-ack), and a
// fast request the broker returns answered NO_HANDLER.
import { randomBytes } from 'node:crypto';
import { connect, type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { pino } from 'pino';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEADERS, PROTOCOL_VERSION, topology, type Response } from '@warren/protocol';
import { createGateway, type Gateway } from '@warren/gateway';
import { createAmqpTransport, type AmqpTransport } from '@warren/transport';
import { registerHandlers, type WorkerHandle } from '@warren/worker';
import { AMQP_URL, deleteNamespace, uniqueNamespace } from '../support/rabbit.ts';

const namespace = uniqueNamespace('h6fast');
const topo = topology(namespace);
const quiet = pino({ level: 'warn' });
let gateway: Gateway;
let worker: WorkerHandle;
let announcer: AmqpTransport;
let broker: ChannelModel;
let probe: Channel;
let socket: Socket;
let sessionToken = '';
const responses: Response[] = [];
const runs = new Map<string, number>();
const busy = { now: 0, peak: 0 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const waitFor = async (check: () => boolean, ms = 5_000) => {
  const until = Date.now() + ms;
  while (!check() && Date.now() < until) await sleep(20);
  return check();
};
const ask = (frame: Record<string, unknown>) => new Promise<any>((resolve) => socket.emit('request', frame, resolve));
const finalOf = (id: string) => responses.find((r) => r.id === id && r.kind !== 'chunk');

beforeAll(async () => {
  gateway = await createGateway({ url: AMQP_URL, namespace, port: 0, host: '127.0.0.1', log: quiet });
  worker = await registerHandlers(
    { service: 'h6fast', url: AMQP_URL, namespace, log: quiet, concurrency: 2, fast: ['h6.echo', 'h6.busy'] },
    {
      'h6.echo': (payload: { tag: string }) => {
        runs.set(payload.tag, (runs.get(payload.tag) ?? 0) + 1);
        return payload;
      },
      'h6.busy': async () => {
        busy.peak = Math.max(busy.peak, ++busy.now);
        await sleep(200);
        busy.now--;
        return { peak: busy.peak };
      },
    },
  );
  announcer = await createAmqpTransport({ url: AMQP_URL, namespace });
  broker = await connect(AMQP_URL);
  probe = await broker.createChannel();
  socket = io(gateway.url, { transports: ['websocket'], reconnection: false });
  socket.on('response', (response: Response, ack: () => void) => {
    responses.push(response);
    ack();
  });
  sessionToken = ((await new Promise((resolve) => socket.once('session', resolve))) as { token: string }).token;
  expect(await waitFor(() => gateway.registry.fastCapable('h6.echo'))).toBe(true);
});

afterAll(async () => {
  socket?.close();
  await worker?.close();
  await gateway?.close();
  await announcer?.close();
  await broker?.close().catch(() => {});
  await deleteNamespace(namespace);
});

/** A fast request as a gateway writes it, straight to the type's fast queue, answered to `replyTo`. */
const publishFast = (type: string, id: string, payload: unknown, replyTo: string, session = 'h6-session') =>
  probe.sendToQueue(topo.fastQueue(type), Buffer.from(JSON.stringify(payload)), {
    correlationId: id,
    replyTo,
    type,
    contentType: 'application/json',
    persistent: false,
    headers: { [HEADERS.version]: PROTOCOL_VERSION, [HEADERS.session]: session },
  });

describe('the fast lane on RabbitMQ', () => {
  it('answers a fast request non-persistent to its reply queue, naming the session; a redelivered one is dropped unrun', async () => {
    const { queue: replyTo } = await probe.assertQueue('', { exclusive: true });
    const got: ConsumeMessage[] = [];
    await probe.consume(replyTo, (message) => message && got.push(message), { noAck: true });

    // A delivery some worker took and handed back (or died with): it may have run, so it never runs again.
    await worker.close();
    const redelivered = `h6-redelivered-${randomBytes(3).toString('hex')}`;
    publishFast('h6.echo', redelivered, { tag: redelivered }, replyTo);
    const taker = await broker.createChannel();
    let taken: ConsumeMessage | null = null;
    await taker.consume(topo.fastQueue('h6.echo'), (message) => (taken = message), { noAck: false });
    expect(await waitFor(() => taken !== null)).toBe(true);
    taker.nack(taken!, false, true);
    await taker.close();

    worker = await registerHandlers(
      { service: 'h6fast', url: AMQP_URL, namespace, log: quiet, concurrency: 2, fast: ['h6.echo'] },
      {
        'h6.echo': (payload: { tag: string }) => {
          runs.set(payload.tag, (runs.get(payload.tag) ?? 0) + 1);
          return payload;
        },
      },
    );
    const fresh = `h6-fresh-${randomBytes(3).toString('hex')}`;
    publishFast('h6.echo', fresh, { tag: fresh }, replyTo, 'h6-other-session');
    expect(await waitFor(() => got.length > 0)).toBe(true);
    await sleep(300);
    expect(runs.get(redelivered)).toBeUndefined();
    expect(got).toHaveLength(1);
    const [reply] = got;
    expect(JSON.parse(reply!.content.toString())).toMatchObject({ kind: 'result', id: fresh, seq: 0, attempt: 1, data: { tag: fresh } });
    expect(reply!.properties.deliveryMode).not.toBe(2);
    expect(reply!.properties.headers?.[HEADERS.session]).toBe('h6-other-session');
    expect((await probe.checkQueue(topo.fastQueue('h6.echo'))).messageCount).toBe(0);
  });

  it("records a fast call's hops for its caller (GET /calls/:id), worker stamp included", async () => {
    expect(await waitFor(() => gateway.registry.fastCapable('h6.echo'))).toBe(true);
    expect(await ask({ id: 'timeline-1', type: 'h6.echo', payload: { tag: 'timeline' }, fast: true })).toEqual({ ok: true, id: 'timeline-1' });
    expect(await waitFor(() => finalOf('timeline-1') !== undefined)).toBe(true);
    const response = await fetch(`${gateway.url}/calls/timeline-1`, { headers: { 'x-warren-session': sessionToken } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { hops: Array<{ hop: string; worker?: { service?: string } }> };
    expect(body.hops.map((h) => h.hop)).toEqual(['accepted', 'published', 'picked-up', 'result']);
    expect(body.hops[2]?.worker?.service).toBe('h6fast');
  });

  it('runs at most `concurrency` fast handlers at once (prefetch bounds the fast queue)', async () => {
    await worker.close();
    worker = await registerHandlers(
      { service: 'h6fast', url: AMQP_URL, namespace, log: quiet, concurrency: 2, fast: true },
      {
        'h6.busy': async () => {
          busy.peak = Math.max(busy.peak, ++busy.now);
          await sleep(200);
          busy.now--;
          return { peak: busy.peak };
        },
      },
    );
    expect(await waitFor(() => gateway.registry.fastCapable('h6.busy'))).toBe(true);
    const ids = Array.from({ length: 6 }, (_, i) => `busy-${i}`);
    const acks = await Promise.all(ids.map((id) => ask({ id, type: 'h6.busy', payload: null, fast: true })));
    expect(acks.every((a) => a.ok === true)).toBe(true);
    expect(await waitFor(() => ids.every((id) => finalOf(id) !== undefined))).toBe(true);
    expect(busy.peak).toBe(2);
  });

  it('answers NO_HANDLER when the broker returns a fast request (announced fast, but no fast queue)', async () => {
    // An instance that says it serves h6.ghost fast, whose queue does not exist.
    const now = Date.now();
    await announcer.announce({
      kind: 'announce',
      protocolVersion: PROTOCOL_VERSION,
      service: 'h6ghost',
      instanceId: 'h6ghost-1',
      language: 'typescript',
      sdkVersion: 'test',
      concurrency: 1,
      heartbeatMs: 5_000,
      ttlMs: 15_000,
      startedAt: now,
      sentAt: now,
      types: [{ type: 'h6.ghost', fast: true }],
    });
    expect(await waitFor(() => gateway.registry.fastCapable('h6.ghost'))).toBe(true);
    // Written, not confirmed: the ack is ok; the return arrives as the answer.
    expect(await ask({ id: 'ghost-1', type: 'h6.ghost', payload: null, fast: true })).toEqual({ ok: true, id: 'ghost-1' });
    expect(await waitFor(() => finalOf('ghost-1') !== undefined)).toBe(true);
    expect(finalOf('ghost-1')).toMatchObject({ kind: 'error', id: 'ghost-1', seq: 0, attempt: 1, error: { code: 'NO_HANDLER' } });
    // Without `fast` the same type is refused at once by the durable path (no queue: returned, confirmed).
    expect(await ask({ id: 'ghost-2', type: 'h6.ghost', payload: null })).toMatchObject({ ok: false, error: { code: 'NO_HANDLER' } });
  });
});
