// Retained calls end to end on RabbitMQ (issue 15, decision 0014): raw
// Socket.IO clients, two gateways and in-process workers on one namespace.
// The same key runs its handler once, through either gateway; a caller who
// reconnects elsewhere mid-stream gets every response from the first; a
// call past its retention answers EXPIRED; keys are scoped to their caller;
// a waiting request hears its place in the queue; a cancel after a
// re-attach reaches the worker.
import { pino } from 'pino';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Response } from '@warren/protocol';
// The client's zod-free parser of `queued` frames (frames.ts; the client package is another helper's).
import { parseQueuedFrame } from '../../packages/protocol/src/frames.ts';
import { createBackend, createMemoryCallStore, createMemorySessionStore, type Backend } from '@warren/client';
import { createGateway, type Gateway } from '@warren/gateway';
import { registerHandlers, type WorkerHandle } from '@warren/worker';
import { AMQP_URL, deleteNamespace, uniqueNamespace } from '../support/rabbit.ts';
import { waitFor } from '../support/wait.ts';

const namespace = uniqueNamespace('h1calls');
const quiet = pino({ level: 'warn' });
const SECRET = 'h1calls-shared-session-secret-0123456789';
const RETENTION_MS = 1_500;
const gateways: Gateway[] = [];
const workers: WorkerHandle[] = [];
const sockets: Socket[] = [];
const backends: Backend[] = [];

const runs = new Map<string, number>();
const aborted = new Set<string>();
let slowRuns = 0;
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done);
  });

interface Client {
  socket: Socket;
  token: () => string | undefined;
  responses: Response[];
  queued: Array<{ id: string; position: number }>;
  /** `queued:<id>` and `response:<id>`, in arrival order. */
  events: string[];
  ask(frame: Record<string, unknown>): Promise<any>;
  cancel(id: string, type: string): void;
  final(id: string): Response | undefined;
}

const connect = async (gateway: Gateway, token?: string): Promise<Client> => {
  const socket = io(gateway.url, { transports: ['websocket'], reconnection: false, ...(token === undefined ? {} : { auth: { session: token } }) });
  sockets.push(socket);
  let latest: string | undefined;
  const responses: Response[] = [];
  const queued: Array<{ id: string; position: number }> = [];
  const events: string[] = [];
  socket.on('session', (frame: { token: string }) => (latest = frame.token));
  socket.on('response', (response: Response, ack: () => void) => {
    responses.push(response);
    events.push(`response:${response.id}`);
    ack();
  });
  socket.on('queued', (frame: { id: string; position: number }) => {
    // What the gateway sends must pass the client's own parser.
    if (!parseQueuedFrame(frame).ok) throw new Error(`malformed queued frame ${JSON.stringify(frame)}`);
    queued.push(frame);
    events.push(`queued:${frame.id}`);
  });
  await waitFor(() => latest !== undefined, 5_000);
  return {
    socket,
    token: () => latest,
    responses,
    queued,
    events,
    ask: (frame) => new Promise((resolve) => socket.emit('request', frame, resolve)),
    cancel: (id, type) => socket.emit('cancel', { id, type }),
    final: (id) => responses.find((r) => r.id === id && r.kind !== 'chunk'),
  };
};
const of = (client: Client, id: string) => client.responses.filter((r) => r.id === id);

beforeAll(async () => {
  for (let i = 0; i < 2; i++) {
    gateways.push(
      await createGateway({
        url: AMQP_URL,
        namespace,
        port: 0,
        host: '127.0.0.1',
        sessionSecret: SECRET,
        callRetentionMs: RETENTION_MS,
        queuePositionIntervalMs: 100,
        log: quiet,
      }),
    );
  }
  workers.push(
    await registerHandlers(
      { service: 'h1calls', url: AMQP_URL, namespace, log: quiet, announce: false, concurrency: 8 },
      {
        'h1.stream': async (payload: unknown, ctx) => {
          const { tag, chunks, delayMs } = payload as { tag: string; chunks: number; delayMs: number };
          runs.set(tag, (runs.get(tag) ?? 0) + 1);
          for (let i = 0; i < chunks; i++) {
            if (ctx.signal.aborted) break;
            await ctx.sendChunk({ i });
            await sleep(delayMs, ctx.signal);
          }
          if (ctx.signal.aborted) aborted.add(tag);
          return { tag, chunks };
        },
      },
    ),
  );
  workers.push(
    await registerHandlers(
      { service: 'h1slow', url: AMQP_URL, namespace, log: quiet, announce: false, concurrency: 1 },
      {
        'h1.slow': async () => {
          slowRuns += 1;
          await sleep(120);
          return 'done';
        },
      },
    ),
  );
});

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  for (const b of backends) b.close();
  await Promise.all(workers.map((w) => w.close()));
  await Promise.all(gateways.map((g) => g.close()));
  await deleteNamespace(namespace);
});

const chunkSeqs = (responses: Response[]) => responses.filter((r) => r.kind === 'chunk').map((r) => r.seq);

describe('retained calls on RabbitMQ', () => {
  it('runs a key once when it is sent twice in a row; the second attaches and gets every response', async () => {
    const client = await connect(gateways[0]!);
    const payload = { tag: 'seq', chunks: 3, delayMs: 0 };
    expect(await client.ask({ id: 'a1', type: 'h1.stream', payload, key: 'k-seq' })).toEqual({ ok: true, id: 'a1' });
    expect(await waitFor(() => client.final('a1') !== undefined)).toBe(true);
    expect(await client.ask({ id: 'a2', type: 'h1.stream', payload, key: 'k-seq' })).toEqual({ ok: true, id: 'a2', attached: true });
    expect(await waitFor(() => client.final('a2') !== undefined)).toBe(true);
    expect(runs.get('seq')).toBe(1);
    for (const id of ['a1', 'a2']) {
      expect(of(client, id).map((r) => [r.kind, r.seq])).toEqual([
        ['chunk', 0],
        ['chunk', 1],
        ['chunk', 2],
        ['result', 3],
      ]);
    }
    expect(client.final('a2')).toMatchObject({ kind: 'result', data: { tag: 'seq', chunks: 3 } });
  });

  it('runs a key once when one principal-less session sends it through two gateways at once', async () => {
    const first = await connect(gateways[0]!);
    // The same session resumed on the other gateway (same sessionSecret): the same scope.
    const second = await connect(gateways[1]!, first.token());
    const payload = { tag: 'conc', chunks: 2, delayMs: 20 };
    const acks = await Promise.all([
      first.ask({ id: 'c1', type: 'h1.stream', payload, key: 'k-conc' }),
      second.ask({ id: 'c2', type: 'h1.stream', payload, key: 'k-conc' }),
    ]);
    expect(acks.filter((a) => a.ok === true)).toHaveLength(2);
    expect(acks.filter((a) => a.attached === true)).toHaveLength(1);
    // One reader at a time: the second gets everything once the first has its final.
    expect(await waitFor(() => first.final('c1') !== undefined && second.final('c2') !== undefined)).toBe(true);
    expect(runs.get('conc')).toBe(1);
    expect(chunkSeqs(of(first, 'c1'))).toEqual([0, 1]);
    expect(chunkSeqs(of(second, 'c2'))).toEqual([0, 1]);
  });

  it('re-attaches through a second gateway after a disconnect mid-stream: every response from the first, then live, then the result', async () => {
    const before = await connect(gateways[0]!);
    const payload = { tag: 'reattach', chunks: 30, delayMs: 40 };
    expect(await before.ask({ id: 'r1', type: 'h1.stream', payload, key: 'k-reattach' })).toMatchObject({ ok: true });
    expect(await waitFor(() => of(before, 'r1').length >= 5)).toBe(true);
    const token = before.token();
    before.socket.disconnect();
    const seenBefore = of(before, 'r1').length;
    expect(seenBefore).toBeLessThan(30);
    const after = await connect(gateways[1]!, token);
    expect(await after.ask({ id: 'r2', type: 'h1.stream', payload, key: 'k-reattach', attach: true })).toEqual({ ok: true, id: 'r2', attached: true });
    expect(await waitFor(() => after.final('r2') !== undefined)).toBe(true);
    const got = of(after, 'r2');
    expect(got.map((r) => r.seq)).toEqual(Array.from({ length: 31 }, (_, i) => i));
    expect(got.every((r) => r.attempt === 1)).toBe(true);
    expect(got.at(-1)).toMatchObject({ kind: 'result', id: 'r2', data: { tag: 'reattach', chunks: 30 } });
    expect(runs.get('reattach')).toBe(1);
    // After the result: the result is replayed (with everything before it), nothing runs again.
    const later = await connect(gateways[0]!, after.token());
    expect(await later.ask({ id: 'r3', type: 'h1.stream', payload, key: 'k-reattach' })).toEqual({ ok: true, id: 'r3', attached: true });
    expect(await waitFor(() => later.final('r3') !== undefined)).toBe(true);
    expect(of(later, 'r3')).toHaveLength(31);
    expect(runs.get('reattach')).toBe(1);
  });

  it('answers an attach to an unknown key with EXPIRED, and to a call past its retention', { timeout: 20_000 }, async () => {
    const client = await connect(gateways[0]!);
    const unknown = await client.ask({ id: 'e1', type: 'h1.stream', payload: {}, key: 'never-sent', attach: true });
    expect(unknown).toMatchObject({ ok: false, id: 'e1', error: { code: 'EXPIRED', message: expect.stringContaining('send the request again') } });
    const payload = { tag: 'expire', chunks: 1, delayMs: 0 };
    expect(await client.ask({ id: 'e2', type: 'h1.stream', payload, key: 'k-expire' })).toMatchObject({ ok: true });
    expect(await waitFor(() => client.final('e2') !== undefined)).toBe(true);
    // Detached once the final was acked; RabbitMQ deletes the queue after
    // the retention (quorum queues check it on their ~5 s tick).
    expect(await waitFor(() => false, RETENTION_MS + 6_500)).toBe(false);
    const late = await client.ask({ id: 'e3', type: 'h1.stream', payload, key: 'k-expire', attach: true });
    expect(late).toMatchObject({ ok: false, error: { code: 'EXPIRED' } });
    // Without attach the key simply runs again.
    expect(await client.ask({ id: 'e4', type: 'h1.stream', payload, key: 'k-expire' })).toEqual({ ok: true, id: 'e4' });
    expect(await waitFor(() => client.final('e4') !== undefined)).toBe(true);
    expect(runs.get('expire')).toBe(2);
  });

  it('@warren/client sends a key to these gateways (their session frame lists retained-calls): it runs once, and attaches after a gateway change', async () => {
    const callStore = createMemoryCallStore();
    const sessionStore = createMemorySessionStore();
    const open = (gateway: Gateway) => {
      const backend = createBackend({ url: gateway.url, sessionStore, callStore });
      backends.push(backend);
      return backend;
    };
    const payload = { tag: 'client', chunks: 3, delayMs: 10 };
    const first = open(gateways[0]!);
    const chunks: unknown[] = [];
    expect(await first.makeBackendRequest('h1.stream', payload, { key: 'k-client', onChunk: (c) => chunks.push(c), timeoutMs: 10_000 })).toEqual({
      tag: 'client',
      chunks: 3,
    });
    expect(chunks).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }]);
    first.close();
    // The same tab on another gateway: its session token and call store carry over.
    const second = open(gateways[1]!);
    const replayed: unknown[] = [];
    expect(await second.attach('h1.stream', 'k-client', { onChunk: (c) => replayed.push(c), timeoutMs: 10_000 })).toEqual({ tag: 'client', chunks: 3 });
    expect(replayed).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }]);
    expect(runs.get('client')).toBe(1);
  });

  it('scopes keys to the caller: another session with the same key runs its own call', async () => {
    const one = await connect(gateways[0]!);
    const other = await connect(gateways[1]!);
    const payload = { tag: 'scope', chunks: 1, delayMs: 0 };
    expect(await one.ask({ id: 's1', type: 'h1.stream', payload, key: 'k-scope' })).toEqual({ ok: true, id: 's1' });
    expect(await waitFor(() => one.final('s1') !== undefined)).toBe(true);
    expect(await other.ask({ id: 's1', type: 'h1.stream', payload, key: 'k-scope', attach: true })).toMatchObject({ ok: false, error: { code: 'EXPIRED' } });
    expect(await other.ask({ id: 's2', type: 'h1.stream', payload, key: 'k-scope' })).toEqual({ ok: true, id: 's2' });
    expect(await waitFor(() => other.final('s2') !== undefined)).toBe(true);
    expect(runs.get('scope')).toBe(2);
  });

  it('tells a request queued behind 19 others its position, never rising, down to 0 before its first response', { timeout: 30_000 }, async () => {
    const client = await connect(gateways[0]!);
    const acks = [];
    for (let i = 0; i < 20; i++) acks.push(client.ask({ id: `q${i}`, type: 'h1.slow', payload: i }));
    expect((await Promise.all(acks)).every((a) => a.ok === true)).toBe(true);
    expect(await waitFor(() => client.final('q19') !== undefined, 20_000)).toBe(true);
    const positions = (id: string) => client.queued.filter((q) => q.id === id).map((q) => q.position);
    const last = positions('q19');
    expect(last.length).toBeGreaterThan(3);
    expect(last[0]).toBeGreaterThanOrEqual(5);
    for (let i = 1; i < last.length; i++) expect(last[i]).toBeLessThan(last[i - 1]!);
    expect(last.at(-1)).toBe(0);
    // Every `queued` frame of q19 came before its first response.
    const firstResponse = client.events.indexOf('response:q19');
    expect(client.events.lastIndexOf('queued:q19')).toBeLessThan(firstResponse);
    // An upper bound, not the queue's length: q5 has at most 5 ahead of it.
    expect(positions('q5').every((p) => p <= 5)).toBe(true);
    expect(slowRuns).toBe(20);
    const metrics = await (await fetch(`${gateways[0]!.url}/metrics`)).text();
    expect(metrics).toMatch(/warren_queue_depth\{type="h1\.slow"\} \d+/);
    expect(metrics).toMatch(/warren_queue_wait_seconds_count\{type="h1\.slow"\} 20/);
  });

  it('tells a keyed request its position too', { timeout: 30_000 }, async () => {
    const client = await connect(gateways[0]!);
    // The session's reply queue first (the unkeyed requests need it, the keyed one does not): otherwise
    // its declare can hold the unkeyed ones back until the keyed one is ahead of them all.
    await client.ask({ id: 'warm', type: 'h1.stream', payload: { tag: 'warm', chunks: 0, delayMs: 0 } });
    expect(await waitFor(() => client.final('warm') !== undefined)).toBe(true);
    const acks = [];
    for (let i = 0; i < 8; i++) acks.push(client.ask({ id: `p${i}`, type: 'h1.slow', payload: i }));
    acks.push(client.ask({ id: 'pk', type: 'h1.slow', payload: 'k', key: 'k-position' }));
    expect((await Promise.all(acks)).every((a) => a.ok === true)).toBe(true);
    expect(await waitFor(() => client.final('pk') !== undefined, 20_000)).toBe(true);
    const positions = client.queued.filter((q) => q.id === 'pk').map((q) => q.position);
    expect(positions.length).toBeGreaterThan(1);
    for (let i = 1; i < positions.length; i++) expect(positions[i]).toBeLessThan(positions[i - 1]!);
    expect(client.events.lastIndexOf('queued:pk')).toBeLessThan(client.events.indexOf('response:pk'));
  });

  it('honours a cancel of a keyed call sent after a re-attach while no worker runs: the next worker never runs it', { timeout: 20_000 }, async () => {
    let laterRuns = 0;
    const later = { 'h1.later': async () => (laterRuns += 1) };
    // The type's queue exists (a worker declared it), but nobody consumes it now.
    await (await registerHandlers({ service: 'h1later', url: AMQP_URL, namespace, log: quiet, announce: false }, later)).close();
    const before = await connect(gateways[0]!);
    expect(await before.ask({ id: 'l1', type: 'h1.later', payload: null, key: 'k-later' })).toEqual({ ok: true, id: 'l1' });
    const token = before.token();
    before.socket.disconnect();
    const after = await connect(gateways[1]!, token);
    expect(await after.ask({ id: 'l2', type: 'h1.later', payload: null, key: 'k-later', attach: true })).toEqual({ ok: true, id: 'l2', attached: true });
    after.cancel('l2', 'h1.later');
    await sleep(300);
    workers.push(await registerHandlers({ service: 'h1later', url: AMQP_URL, namespace, log: quiet, announce: false }, later));
    expect(await waitFor(() => after.final('l2') !== undefined)).toBe(true);
    expect(after.final('l2')).toMatchObject({ kind: 'error', id: 'l2', error: { code: 'CANCELLED' } });
    expect(laterRuns).toBe(0);
  });

  it('forwards a cancel sent after a re-attach to the worker holding the call', async () => {
    const before = await connect(gateways[0]!);
    const payload = { tag: 'cancel', chunks: 200, delayMs: 50 };
    expect(await before.ask({ id: 'x1', type: 'h1.stream', payload, key: 'k-cancel' })).toMatchObject({ ok: true });
    expect(await waitFor(() => of(before, 'x1').length >= 2)).toBe(true);
    const token = before.token();
    before.socket.disconnect();
    const after = await connect(gateways[1]!, token);
    expect(await after.ask({ id: 'x2', type: 'h1.stream', payload, key: 'k-cancel', attach: true })).toMatchObject({ ok: true, attached: true });
    expect(await waitFor(() => of(after, 'x2').length >= 3)).toBe(true);
    after.cancel('x2', 'h1.stream');
    expect(await waitFor(() => after.final('x2') !== undefined)).toBe(true);
    expect(after.final('x2')).toMatchObject({ kind: 'error', id: 'x2', error: { code: 'CANCELLED' } });
    expect(aborted.has('cancel')).toBe(true);
    expect(runs.get('cancel')).toBe(1);
  });
});
