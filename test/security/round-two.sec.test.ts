// Hostile clients, round two (issue 12): requests that cost the gateway far
// more than their size, sessions resumed by the wrong principal, duplicate
// ids racing the broker confirm, oversize payloads and log floods — each
// against a real gateway process on RabbitMQ with its default limits.
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend, createMemorySessionStore, type AnyBackend } from '@warren/client';
import { killAll, startProcess, type Proc, isReady } from '../support/processes.ts';
import { deleteNamespace, uniqueNamespace } from '../support/rabbit.ts';
import { codeOf, createClients } from './clients.ts';
import { ackBody, openRaw } from './raw-socket.ts';
import { JWT_ENV, signToken } from './tokens.ts';

const namespace = uniqueNamespace('sec2');
const SESSION_TTL_MS = 3000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type SessionFrame = { sessionId: string; token: string };
/** Every `session` frame the socket receives, newest last. */
const sessionFrames = (socket: { on(event: 'session', fn: (s: SessionFrame) => void): unknown }) => {
  const frames: SessionFrame[] = [];
  socket.on('session', (s) => frames.push(s));
  return frames;
};
let url = '';
let gateway: Proc;
const { client, closeAll } = createClients(() => url);

/** `/healthz` round trips (ms) measured every 50 ms until `stop` resolves. */
const probeHealth = (stop: Promise<unknown>) => {
  const times: number[] = [];
  let done = false;
  void stop.finally(() => (done = true));
  const loop = (async () => {
    while (!done) {
      const t = performance.now();
      const ok = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) }).then(
        (r) => r.ok,
        () => false,
      );
      times.push(ok ? performance.now() - t : Infinity);
      await new Promise((r) => setTimeout(r, 50));
    }
    return times;
  })();
  return loop;
};

describe('hostile clients, round two', () => {
  beforeAll(async () => {
    gateway = startProcess('bun', 'test/security/fixtures/gateway.ts', {
      PORT: '0',
      HOST: '127.0.0.1',
      WARREN_NAMESPACE: namespace,
      ...JWT_ENV,
      SESSION_TOKEN_TTL_MS: String(SESSION_TTL_MS),
    });
    url = String((await gateway.waitFor(isReady)).url);
    const worker = startProcess('bun', 'test/security/fixtures/chat-worker.ts', { WARREN_NAMESPACE: namespace });
    await worker.waitFor(isReady);
    // The gateway knows the chat schema once the worker's announcement arrived.
    const c = client({ token: await signToken('warmup') });
    await c.ready;
    for (let i = 0; ; i++) {
      const ack = await c.request({ id: `warm-${i}`, type: 'chat', payload: { message: 'hi', history: [{}] } });
      if (codeOf(ack) === 'INVALID_PAYLOAD') break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  afterAll(async () => {
    closeAll();
    await killAll();
    await deleteNamespace(namespace);
  });

  it.each([20_000, 100_000])('answers a chat payload with %i empty history objects at once, with a bounded ack, /healthz answering throughout', async (n) => {
    const c = client({ token: await signToken(`issues-${n}`) });
    await c.ready;
    const payload = { message: 'hi', history: Array.from({ length: n }, () => ({})) };
    const sent = performance.now();
    const answered = c.request({ id: `issues-${n}`, type: 'chat', payload });
    const health = probeHealth(answered);
    const ack = await answered;
    const elapsed = performance.now() - sent;
    expect(ack).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    // Measured from the client (its own encoding of the payload included): ~75-100 ms here under load.
    expect(elapsed).toBeLessThan(500);
    const bytes = Buffer.byteLength(JSON.stringify(ack));
    expect(bytes).toBeLessThan(8 * 1024);
    const details = (ack as unknown as { error: { details: { issues: { path: string }[]; issueCount: number; partial?: boolean } } }).error.details;
    expect(details.issues).toHaveLength(20);
    expect(details.issues[0]!.path).toBe('history.0.role');
    // Answered from the first items: the count covers the part checked, and says so.
    expect(details).toMatchObject({ partial: true, issueCount: expect.any(Number) });
    expect(details.issueCount).toBeGreaterThanOrEqual(20);
    const times = await health;
    expect(Math.max(...times)).toBeLessThan(500);
    // No log line grows with the request either.
    expect(
      Math.max(
        ...gateway
          .output()
          .split('\n')
          .map((l) => l.length),
      ),
    ).toBeLessThan(16 * 1024);
  });

  it('never resumes a session for another principal: the token is bound to who it was issued to', async () => {
    const alice = client({ token: await signToken('alice') });
    const aliceFrames = sessionFrames(alice.socket);
    const aliceSession = await alice.ready;
    expect(await alice.request({ id: 'alice-1', type: 'count', payload: { key: 'alice-1', delayMs: 1000 } })).toEqual({ ok: true, id: 'alice-1' });
    alice.socket.close();
    const stolen = aliceFrames.at(-1)!.token;
    const bob = client({ token: await signToken('bob'), session: stolen });
    expect(await bob.ready).not.toBe(aliceSession);
    await sleep(1500);
    expect(bob.responses).toEqual([]);
    bob.socket.close();
    // Alice herself resumes and gets her answer.
    const back = client({ token: await signToken('alice'), session: stolen });
    expect(await back.ready).toBe(aliceSession);
    expect(await back.final('alice-1')).toMatchObject({ kind: 'result', data: { runs: 1 } });
  });

  it('never resumes a session with an expired token, and refreshes the token while the socket is connected', async () => {
    const carol = client({ token: await signToken('carol') });
    const frames = sessionFrames(carol.socket);
    const first = await carol.ready;
    const issued = frames.at(-1)!.token;
    // Connected for longer than a token lives: refreshed tokens keep the session resumable.
    await sleep(SESSION_TTL_MS + 1500);
    carol.socket.close();
    expect(frames.length).toBeGreaterThan(1);
    const refreshed = frames.at(-1)!.token;
    const again = client({ token: await signToken('carol'), session: refreshed });
    expect(await again.ready).toBe(first);
    again.socket.close();
    // The first token has expired by now: a new session, never the old one.
    const late = client({ token: await signToken('carol'), session: issued });
    expect(await late.ready).not.toBe(first);
  });

  it('refuses a payload nested deeper than the protocol allows at the gateway, before any worker sees it', async () => {
    // socket.io-client cannot even encode it (its binary check recurses): a raw packet.
    const raw = await openRaw(url);
    await raw.connect({ token: await signToken('nester') });
    raw.send(`421["request",{"id":"deep-chat","type":"chat","payload":{"message":"hi","extra":${'['.repeat(5000)}${']'.repeat(5000)}}}]`);
    expect(ackBody(await raw.next((p) => p.startsWith('431')), 1)).toMatchObject({
      ok: false,
      id: 'deep-chat',
      error: { code: 'INVALID_REQUEST', message: expect.stringMatching(/deeper than 128/) },
    });
    raw.close();
  });

  it('runs a request once however many copies of its id race the broker confirm, each copy getting the same ack', async () => {
    const c = client({ token: await signToken('racer') });
    await c.ready;
    for (let round = 0; round < 5; round++) {
      const id = `race-${round}`;
      const acks = await Promise.all(Array.from({ length: 10 }, () => c.request({ id, type: 'count', payload: { key: id } })));
      expect(acks).toEqual(Array.from({ length: 10 }, () => ({ ok: true, id })));
      await c.final(id);
      expect(await c.request({ id: `${id}-runs`, type: 'runsOf', payload: { key: id } })).toEqual({ ok: true, id: `${id}-runs` });
      expect(await c.final(`${id}-runs`)).toMatchObject({ kind: 'result', data: { runs: 1 } });
    }
  });

  it('refuses an id reused for a different type or payload with DUPLICATE_ID', async () => {
    const c = client({ token: await signToken('reuser') });
    await c.ready;
    expect(await c.request({ id: 'reuse-1', type: 'count', payload: { key: 'reuse-a' } })).toEqual({ ok: true, id: 'reuse-1' });
    expect(await c.request({ id: 'reuse-1', type: 'chat', payload: { message: 'not the same' } })).toMatchObject({
      ok: false,
      id: 'reuse-1',
      error: { code: 'DUPLICATE_ID' },
    });
    expect(await c.request({ id: 'reuse-1', type: 'count', payload: { key: 'reuse-b' } })).toMatchObject({ ok: false, error: { code: 'DUPLICATE_ID' } });
    // The same request again is a re-send: acked, not run twice.
    expect(await c.request({ id: 'reuse-1', type: 'count', payload: { key: 'reuse-a' } })).toEqual({ ok: true, id: 'reuse-1' });
    expect(await c.final('reuse-1')).toMatchObject({ kind: 'result', data: { runs: 1 } });
  });

  it.each([
    ['above the payload limit, below the frame limit', 1.5 * 1024 * 1024],
    ['above the frame limit', 3 * 1024 * 1024],
  ])('refuses a payload %s with PAYLOAD_TOO_LARGE at once, never a timeout (@warren/client)', async (_what, bytes) => {
    const token = await signToken('bulky');
    const backend = createBackend({
      url,
      sessionStore: createMemorySessionStore(),
      connect: (u, options) => io(u, { ...options, auth: (cb) => options.auth((data) => cb({ ...data, token })) }),
    }) as AnyBackend;
    try {
      // Once before the session frame (limit not yet known), once after.
      for (const round of ['first', 'second']) {
        const started = performance.now();
        const outcome = await backend.makeBackendRequest('chat', { message: 'x'.repeat(bytes) }, { timeoutMs: 5000 }).then(
          () => 'ok',
          (e: { code?: string }) => e.code,
        );
        expect([round, outcome]).toEqual([round, 'PAYLOAD_TOO_LARGE']);
        expect(performance.now() - started).toBeLessThan(1000);
      }
    } finally {
      backend.close();
    }
  });

  it('bounds the client-log bytes one caller can write, however many sockets it floods from', async () => {
    const token = await signToken('logflooder');
    const sockets = Array.from({ length: 20 }, () => client({ token }));
    await Promise.all(sockets.map((c) => c.ready));
    const fields = { blob: 'f'.repeat(10_000), nested: { more: 'g'.repeat(5_000) } };
    const entries = Array.from({ length: 10 }, (_, i) => ({ level: 'error', msg: `flood-marker ${i} ${'m'.repeat(1900)}`, fields, ts: Date.now() }));
    for (const c of sockets) for (let f = 0; f < 10; f++) c.socket.emit('client-log', { entries });
    // 2 000 entries of ~17 KB were sent (34 MB); what was written is bounded by the caller's budget.
    await sleep(1500);
    const lines = gateway
      .output()
      .split('\n')
      .filter((l) => l.includes('flood-marker'));
    const written = lines.reduce((n, l) => n + l.length, 0);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThanOrEqual(100 + 20 * 3);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThan(4 * 1024);
    expect(written).toBeLessThan(1024 * 1024);
    for (const c of sockets) c.socket.close();
  });

  it('escapes control characters in the npm start console, so browser text cannot forge log lines', async () => {
    const { formatLine } = await import('../../scripts/supervise.mjs');
    const forged = formatLine(JSON.stringify({ level: 30, msg: 'hello\nerror gateway crashed\u001b[2J', requestId: 'r-1\r\nINFO fake', source: 'client' }));
    expect(forged).not.toMatch(/[\u0000-\u001f]/);
    expect(forged).toContain('hello\\nerror gateway crashed\\u001b[2J');
    expect(forged).toContain('requestId=r-1\\r\\nINFO fake');
    expect(formatLine('plain \u001b[31mtext')).toBe('plain \\u001b[31mtext');
    // A text line ending in a structured event (Python's `ready`) shows its fields, escaped the same way.
    const event = formatLine(`INFO w: x\u001b[2J ${JSON.stringify({ event: 'ready', service: 'a\u001b[2J\nb', types: ['c'] })}`);
    expect(event).toBe('INFO w: x\\u001b[2J  event=ready service=a\\u001b[2J\\nb types=["c"]');
  });

  it('keeps the registry (worker hosts, pids, schemas) from callers without a token when authentication is on', async () => {
    const anonymous = await fetch(`${url}/registry`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).not.toMatch(/round-two-fixture|pid|host/);
    const authorised = await fetch(`${url}/registry`, { headers: { authorization: `Bearer ${await signToken('reader')}` } });
    expect(authorised.status).toBe(200);
    expect(JSON.stringify(await authorised.json())).toContain('round-two-fixture');
  });
});
