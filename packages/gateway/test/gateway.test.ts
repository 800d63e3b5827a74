import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { io, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { ACK_HOLD_MS, CAPABILITIES, FAST_ACK_HOLD_MS, parseSessionFrame, type Ack, type Response } from '@warren/protocol';
import { createGateway, gatewayOptionsFromEnv, parseGatewayOptions, type Gateway } from '@warren/gateway';
import { createMemoryBroker, memoryTransport } from '@warren/transport';
import { registerHandlers } from '@warren/worker';

const quiet = pino({ level: 'silent' });
const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const setup = async (extra: { log?: pino.Logger; staticDir?: string; ackTimeoutMs?: number; sessionTokenTtlMs?: number } = {}) => {
  const broker = createMemoryBroker();
  const gateway = await createGateway({
    port: 0,
    host: '127.0.0.1',
    transport: memoryTransport(broker),
    log: extra.log ?? quiet,
    ...(extra.staticDir ? { staticDir: extra.staticDir } : {}),
    ...(extra.ackTimeoutMs ? { ackTimeoutMs: extra.ackTimeoutMs } : {}),
    ...(extra.sessionTokenTtlMs ? { sessionTokenTtlMs: extra.sessionTokenTtlMs } : {}),
  });
  cleanup.push(() => gateway.close());
  const worker = await registerHandlers(
    { service: 'w', transport: memoryTransport(broker), log: quiet },
    {
      echo: async (p: { chunks?: number }, ctx) => {
        for (let i = 0; i < (p?.chunks ?? 0); i++) await ctx.sendChunk(i);
        return { echoed: p };
      },
      hang: (_p, ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))),
      count: (() => {
        let calls = 0;
        return () => ++calls;
      })(),
    },
  );
  cleanup.push(() => worker.close());
  return { broker, gateway, worker };
};

const connect = (gateway: Gateway, auth: Record<string, unknown> = {}) => {
  const socket = io(gateway.url, { transports: ['websocket'], auth, reconnection: false });
  cleanup.push(() => socket.close());
  const session = new Promise<{ sessionId: string; token: string }>((resolve) => socket.once('session', resolve));
  const responses: Response[] = [];
  socket.on('response', (r: Response, ack: () => void) => {
    responses.push(r);
    ack();
  });
  return { socket, session, responses };
};

const request = (socket: Socket, frame: unknown) => new Promise<Ack>((resolve) => socket.emit('request', frame, resolve));
const until = async (check: () => boolean, ms = 2000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('gateway over the memory transport', () => {
  it('accepts a request, then relays its chunks and result to the socket that asked', async () => {
    const { gateway } = await setup();
    const a = connect(gateway);
    const b = connect(gateway);
    expect(await request(a.socket, { id: 'r1', type: 'echo', payload: { chunks: 3 } })).toEqual({ ok: true, id: 'r1' });
    await until(() => a.responses.length === 4);
    expect(a.responses.map((r) => `${r.kind}:${r.seq}`)).toEqual(['chunk:0', 'chunk:1', 'chunk:2', 'result:3']);
    expect(b.responses).toEqual([]);
  });

  it('answers an unknown type with NO_HANDLER at once', async () => {
    const { gateway } = await setup();
    const { socket } = connect(gateway);
    const started = Date.now();
    const ack = await request(socket, { id: 'r1', type: 'nobodyServesThis', payload: {} });
    expect(ack).toMatchObject({ ok: false, id: 'r1', error: { code: 'NO_HANDLER' } });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('rejects malformed frames with INVALID_REQUEST and keeps the socket working', async () => {
    const { gateway } = await setup();
    const { socket, responses } = connect(gateway);
    for (const bad of [null, 'text', 42, [], { id: 'x' }, { id: '', type: 'echo' }, { id: 'y', type: 'echo', timeoutMs: 'soon' }]) {
      const ack = await request(socket, bad);
      expect(ack).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    }
    expect(await request(socket, { id: 'ok', type: 'echo', payload: 1 })).toEqual({ ok: true, id: 'ok' });
    await until(() => responses.some((r) => r.kind === 'result'));
  });

  it('survives a request emitted without an ack callback and unknown events', async () => {
    const { gateway } = await setup();
    const { socket, responses } = connect(gateway);
    socket.emit('request', { id: 'noack', type: 'echo', payload: 1 });
    socket.emit('whatever', { x: 1 });
    socket.emit('cancel', 'garbage');
    await until(() => responses.some((r) => r.id === 'noack' && r.kind === 'result'));
  });

  it('forwards a cancel so the worker stops and answers CANCELLED', async () => {
    const { gateway } = await setup();
    const { socket, responses } = connect(gateway);
    await request(socket, { id: 'long', type: 'hang', payload: null });
    socket.emit('cancel', { id: 'long', type: 'hang' });
    await until(() => responses.length === 1);
    expect(responses[0]).toMatchObject({ kind: 'error', error: { code: 'CANCELLED' } });
  });

  it('forwards a cancel that arrives in the same read as the disconnect after it', async () => {
    // A client that cancels then closes at once (`warren call` on Ctrl-C,
    // backend.close() with calls in flight): both frames are read together.
    const { gateway } = await setup();
    const first = connect(gateway);
    const { token } = await first.session;
    await request(first.socket, { id: 'long', type: 'hang', payload: null });
    first.socket.emit('cancel', { id: 'long', type: 'hang' });
    first.socket.disconnect();
    await until(() => gateway.io.sockets.sockets.size === 0);
    // The worker stopped: its CANCELLED answer waits for the session's next connection.
    const second = connect(gateway, { session: token });
    await until(() => second.responses.length === 1);
    expect(second.responses[0]).toMatchObject({ id: 'long', kind: 'error', error: { code: 'CANCELLED' } });
  });

  it('turns timeoutMs into a deadline the worker enforces', async () => {
    const { gateway } = await setup();
    const { socket, responses } = connect(gateway);
    await request(socket, { id: 't', type: 'hang', payload: null, timeoutMs: 50 });
    await until(() => responses.length === 1);
    expect(responses[0]).toMatchObject({ kind: 'error', error: { code: 'TIMEOUT' } });
  });

  it('resumes a session with its signed token and delivers what arrived meanwhile', async () => {
    const { gateway, broker } = await setup();
    const first = connect(gateway);
    const { sessionId, token } = await first.session;
    await request(first.socket, { id: 'warm', type: 'echo', payload: null });
    await until(() => first.responses.length === 1);
    first.socket.close();
    await until(() => gateway.io.sockets.sockets.size === 0);
    // A response produced while the client is away waits in its session queue.
    await memoryTransport(broker).publishResponse(sessionId, { kind: 'result', id: 'late', seq: 0, attempt: 1, data: 'kept' });
    const second = connect(gateway, { session: token });
    expect((await second.session).sessionId).toBe(sessionId);
    await until(() => second.responses.length === 1);
    expect(second.responses[0]).toMatchObject({ id: 'late', data: 'kept' });
  });

  it('redelivers a response the browser never acked to its next connection', async () => {
    const { gateway } = await setup();
    const socket = io(gateway.url, { transports: ['websocket'], reconnection: false });
    cleanup.push(() => socket.close());
    const { token } = await new Promise<{ token: string }>((r) => socket.once('session', r));
    const seen: Response[] = [];
    socket.on('response', (r: Response) => seen.push(r)); // deliberately never acks
    await request(socket, { id: 'x', type: 'echo', payload: null });
    await until(() => seen.length === 1);
    socket.close();
    const again = connect(gateway, { session: token });
    await until(() => again.responses.length === 1);
    expect(again.responses[0]).toMatchObject({ id: 'x', kind: 'result' });
  });

  it('starts a fresh session for a forged or malformed token', async () => {
    const { gateway } = await setup();
    const { sessionId, token } = await connect(gateway).session;
    const forged = `${sessionId}.${'A'.repeat(token.split('.')[1]!.length)}`;
    for (const auth of [{ session: forged }, { session: 'nonsense' }, { session: 12 }]) {
      expect((await connect(gateway, auth).session).sessionId).not.toBe(sessionId);
    }
  });

  it('lists what it supports in its first session frame and in every refresh (a client sends `key` only to a gateway listing retained calls)', async () => {
    const { gateway } = await setup({ sessionTokenTtlMs: 3000 }); // refreshed every second
    const socket = io(gateway.url, { transports: ['websocket'], reconnection: false });
    cleanup.push(() => socket.close());
    const frames: unknown[] = [];
    socket.on('session', (frame: unknown) => frames.push(frame));
    await until(() => frames.length === 2, 3000);
    for (const frame of frames) {
      const parsed = parseSessionFrame(frame);
      expect(parsed.ok).toBe(true);
      if (parsed.ok)
        expect(parsed.value.capabilities).toEqual([
          CAPABILITIES.retainedCalls,
          CAPABILITIES.queuePositions,
          CAPABILITIES.responseBatches,
          CAPABILITIES.requestBatches,
          CAPABILITIES.fastAnswers,
          CAPABILITIES.cumulativeAcks,
          CAPABILITIES.dataBytes,
        ]);
    }
  });

  it('writes client-log entries as structured gateway log lines', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(JSON.parse(chunk.toString()));
        done();
      },
    });
    const { gateway } = await setup({ log: pino({ level: 'info' }, sink) });
    const { socket, session } = connect(gateway);
    const { sessionId } = await session;
    socket.emit('client-log', { entries: [{ level: 'warn', msg: 'button broke', fields: { button: 'send' }, requestId: 'r9', ts: 1 }] });
    await until(() => lines.some((l) => l.msg === 'button broke'));
    expect(lines.find((l) => l.msg === 'button broke')).toMatchObject({
      level: 40,
      source: 'client',
      sessionId,
      requestId: 'r9',
      clientFields: { button: 'send' },
    });
  });
});

describe('gateway delivery guarantees', () => {
  it('tells the caller DELIVERY_LIMIT when a poison request exhausts its deliveries', async () => {
    const { gateway, broker } = await setup();
    const { socket, responses } = connect(gateway);
    // Workers that take the request and die without answering, again and again.
    const dying = memoryTransport(broker);
    const killer = async () => {
      const sub = await dying.consumeRequests('poison', () => void setTimeout(() => sub.close(), 1), { prefetch: 1 });
      return sub;
    };
    await killer();
    expect(await request(socket, { id: 'p', type: 'poison', payload: null })).toEqual({ ok: true, id: 'p' });
    for (let i = 0; i < 8 && responses.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
      await killer();
    }
    await until(() => responses.length === 1);
    expect(responses[0]).toMatchObject({ id: 'p', kind: 'error', attempt: 7, error: { code: 'DELIVERY_LIMIT' } });
  });

  it('does not publish a re-sent request id twice', async () => {
    const { gateway, broker } = await setup();
    const { socket, responses } = connect(gateway);
    const published = broker.published();
    expect(await request(socket, { id: 'once', type: 'count', payload: null })).toEqual({ ok: true, id: 'once' });
    expect(await request(socket, { id: 'once', type: 'count', payload: null })).toEqual({ ok: true, id: 'once' });
    await until(() => responses.length >= 1);
    expect(broker.published() - published).toBe(1);
  });

  it('disconnects a socket that stops acking responses; they wait for its return', async () => {
    const { gateway } = await setup({ ackTimeoutMs: 300 });
    const socket = io(gateway.url, { transports: ['websocket'], reconnection: false });
    cleanup.push(() => socket.close());
    const { token } = await new Promise<{ token: string }>((r) => socket.once('session', r));
    socket.on('response', () => {}); // reads but never acks
    await request(socket, { id: 'x', type: 'echo', payload: { chunks: 3 } });
    const disconnected = new Promise((r) => socket.once('disconnect', r));
    // The stalled transport is closed without a flush, so the client sees the transport go.
    expect(await disconnected).toMatch(/^(transport close|io server disconnect)$/);
    const again = connect(gateway, { session: token });
    await until(() => again.responses.length === 4);
    expect(again.responses.map((r) => r.seq)).toEqual([0, 1, 2, 3]);
  });
});

describe('gateway HTTP', () => {
  it('answers /healthz and /readyz', async () => {
    const { gateway } = await setup();
    expect(await (await fetch(`${gateway.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${gateway.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', broker: 'connected' });
  });

  it('serves static files with an SPA fallback and refuses traversal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-static-'));
    writeFileSync(join(dir, 'index.html'), '<h1>app</h1>');
    writeFileSync(join(dir, 'app.js'), 'console.log(1)');
    const { gateway } = await setup({ staticDir: dir });
    const html = await fetch(`${gateway.url}/`);
    expect(html.headers.get('content-type')).toMatch(/text\/html/);
    expect(await html.text()).toBe('<h1>app</h1>');
    expect((await fetch(`${gateway.url}/app.js`)).headers.get('content-type')).toMatch(/javascript/);
    expect(await (await fetch(`${gateway.url}/chat/room`)).text()).toBe('<h1>app</h1>');
    expect((await fetch(`${gateway.url}/missing.js`)).status).toBe(404);
    // Encoded ../ normalises to a path inside the root: the shell, never /etc/passwd.
    const sneaky = await (await fetch(`${gateway.url}/..%2f..%2fetc%2fpasswd`)).text();
    expect(sneaky).not.toContain('root:');
    expect(sneaky).toBe('<h1>app</h1>');
  });
});

describe('gateway options', () => {
  it('names the field that is wrong', () => {
    expect(() => parseGatewayOptions({ port: 'eighty' })).toThrow(/port/);
    expect(() => parseGatewayOptions({ namespace: 'Has Spaces' })).toThrow(/namespace/);
    expect(() => parseGatewayOptions({ sessionSecret: 'short' })).toThrow(/sessionSecret/);
  });

  it('maps environment variables onto options', () => {
    expect(gatewayOptionsFromEnv({ PORT: '4000', AMQP_URL: 'amqp://x', CORS_ORIGINS: 'http://a, http://b', IGNORED: '1' })).toEqual({
      port: 4000,
      url: 'amqp://x',
      corsOrigins: ['http://a', 'http://b'],
    });
    expect(() => parseGatewayOptions(gatewayOptionsFromEnv({ PORT: 'abc' }))).toThrow(/port/);
  });

  it('holds durable acks ACK_HOLD_MS and fast ones FAST_ACK_HOLD_MS by default; ACK_HOLD_MS and FAST_ACK_HOLD_MS set 0–5000 ms each, anything else names the field', () => {
    expect(parseGatewayOptions({})).toMatchObject({ ackHoldMs: ACK_HOLD_MS, fastAckHoldMs: FAST_ACK_HOLD_MS });
    expect(parseGatewayOptions(gatewayOptionsFromEnv({ ACK_HOLD_MS: '60' }))).toMatchObject({ ackHoldMs: 60, fastAckHoldMs: FAST_ACK_HOLD_MS });
    expect(parseGatewayOptions(gatewayOptionsFromEnv({ FAST_ACK_HOLD_MS: '250' }))).toMatchObject({ ackHoldMs: ACK_HOLD_MS, fastAckHoldMs: 250 });
    expect(parseGatewayOptions({ ackHoldMs: 0, fastAckHoldMs: 0 })).toMatchObject({ ackHoldMs: 0, fastAckHoldMs: 0 });
    for (const bad of ['-1', '5001', '2.5', 'soon']) {
      expect(() => parseGatewayOptions(gatewayOptionsFromEnv({ ACK_HOLD_MS: bad }))).toThrow(/ackHoldMs/);
      expect(() => parseGatewayOptions(gatewayOptionsFromEnv({ FAST_ACK_HOLD_MS: bad }))).toThrow(/fastAckHoldMs/);
    }
  });
});
