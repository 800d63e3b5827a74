// Cumulative acks (capability cumulative-acks) through a real gateway, a
// real Socket.IO client and the memory transport: a durable request's ack
// carries its answer and a seq, later responses come in frames with seqs
// and no ack callback, and an ack on the next request frame (or an `acks`
// frame) settles them; unacknowledged ones wait for the resumed session, a
// client that never acknowledges is disconnected, and a durable request
// whose held ack was lost with its socket is answered as before on its
// re-send.
//
// The tests that need every answer in its ack hold acks for LONG_HOLD_MS
// (`ackHoldMs`), so a loaded machine's slow echo cannot turn an ack plain;
// the default hold is checked with a call that answers only when told.
// (Fast calls, held `fastAckHoldMs`, need RabbitMQ's fast lane:
// test/integration/fast-answers.int.test.ts.)
import { pino } from 'pino';
import { io, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { ACK_HOLD_MS, CAPABILITIES, type Ack, type Response } from '@warren/protocol';
import { createMemoryBroker, memoryTransport } from '@warren/transport';
import { registerHandlers } from '@warren/worker';
import { createGateway, type Gateway } from '../src/gateway.ts';

const quiet = pino({ level: 'silent' });
const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** Holds every ack until its answer: these tests check what the ack carries, not the machine's speed. */
const LONG_HOLD_MS = 2_000;

const setup = async (options: { ackTimeoutMs?: number; ackHoldMs?: number; fastAckHoldMs?: number } = {}) => {
  const broker = createMemoryBroker();
  const gateway = await createGateway({ port: 0, host: '127.0.0.1', transport: memoryTransport(broker), log: quiet, ...options });
  cleanup.push(() => gateway.close());
  let runs = 0;
  let open = () => {};
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  cleanup.push(() => open());
  const worker = await registerHandlers(
    { service: 'w', transport: memoryTransport(broker), log: quiet },
    {
      echo: async (p: { chunks?: number; delayMs?: number; gated?: boolean }, ctx) => {
        runs += 1;
        if (p?.delayMs !== undefined) await new Promise((r) => setTimeout(r, p.delayMs));
        if (p?.gated === true) await gate; // answers when the test calls open()
        for (let i = 0; i < (p?.chunks ?? 0); i++) await ctx.sendChunk(i);
        return { echoed: p };
      },
    },
  );
  cleanup.push(() => worker.close());
  return { gateway, runs: () => runs, open };
};

/** A client asking for cumulative acks that records responses (in frames and in acks) and seqs, acknowledging nothing by itself. */
const connect = (gateway: Gateway, auth: Record<string, unknown> = {}) => {
  const socket: Socket = io(gateway.url, { transports: ['websocket'], reconnection: false, auth: { capabilities: [CAPABILITIES.cumulativeAcks], ...auth } });
  cleanup.push(() => socket.close());
  const session = new Promise<{ sessionId: string; token: string; capabilities: string[] }>((resolve) => socket.once('session', resolve));
  const responses: Response[] = [];
  const seqs: number[] = [];
  const callbacks: unknown[] = [];
  socket.on('response', (r: Response, second: unknown) => {
    responses.push(r);
    if (typeof second === 'number') seqs.push(second);
    else if (second !== undefined) callbacks.push(second);
  });
  const request = (frame: unknown, acks?: unknown) =>
    new Promise<Ack>((resolve) => {
      const onAck = (ack: Ack) => {
        if (ack.ok && ack.response !== undefined) responses.push(ack.response as Response);
        if (ack.ok && ack.seq !== undefined) seqs.push(ack.seq);
        resolve(ack);
      };
      if (acks === undefined) socket.emit('request', frame, onAck);
      else socket.emit('request', frame, acks, onAck);
    });
  return { socket, session, responses, seqs, callbacks, request };
};

const until = async (check: () => boolean, ms = 2000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('cumulative acks over a real socket', () => {
  it('lists the capability, carries a durable answer in its ack with a seq, and numbers the frames that follow', async () => {
    const { gateway } = await setup({ ackHoldMs: LONG_HOLD_MS });
    const c = connect(gateway);
    expect((await c.session).capabilities).toContain(CAPABILITIES.cumulativeAcks);
    expect(await c.request({ id: 'e1', type: 'echo', payload: { chunks: 2 } })).toEqual({
      ok: true,
      id: 'e1',
      response: { kind: 'chunk', id: 'e1', seq: 0, attempt: 1, data: 0, worker: expect.any(Object) },
      seq: 1,
    });
    await until(() => c.responses.length === 3);
    expect(c.responses.map((r) => r.seq)).toEqual([0, 1, 2]);
    expect(c.seqs).toEqual([1, 2, 3]);
    expect(c.callbacks).toEqual([]);
  });

  it('settles what a request frame acknowledges: nothing of it comes again on the resumed session, the rest does', async () => {
    const { gateway } = await setup({ ackHoldMs: LONG_HOLD_MS });
    const c = connect(gateway);
    const { token, sessionId } = await c.session;
    await c.request({ id: 'a', type: 'echo', payload: null });
    await c.request({ id: 'b', type: 'echo', payload: null }, 1); // acknowledges a's seq
    // A bogus piggyback (beyond what was sent) is ignored: the frame is still answered.
    expect(await c.request({ id: 'c', type: 'echo', payload: null }, 99)).toMatchObject({ ok: true, id: 'c', seq: 3 });
    c.socket.emit('acks', 'garbage');
    await sleep(30);
    c.socket.close();
    await until(() => gateway.io.sockets.sockets.size === 0);
    const again = connect(gateway, { session: token });
    expect((await again.session).sessionId).toBe(sessionId);
    await until(() => again.responses.length === 2);
    await sleep(30);
    expect(again.responses.map((r) => r.id).sort()).toEqual(['b', 'c']);
    expect(again.seqs).toEqual([1, 2]);
    again.socket.emit('acks', 2);
    await sleep(30);
    again.socket.close();
    await until(() => gateway.io.sockets.sockets.size === 0);
    const third = connect(gateway, { session: token });
    await third.session;
    await sleep(50);
    expect(third.responses).toEqual([]);
  });

  it('settles what an acks frame read together with the disconnect after it acknowledges (a closing client)', async () => {
    const { gateway } = await setup({ ackHoldMs: LONG_HOLD_MS });
    const c = connect(gateway);
    const { token } = await c.session;
    await c.request({ id: 'a', type: 'echo', payload: null });
    await c.request({ id: 'b', type: 'echo', payload: null });
    // backend.close(): the acks it owes, then the disconnect, in one write.
    c.socket.emit('acks', 2);
    c.socket.disconnect();
    await until(() => gateway.io.sockets.sockets.size === 0);
    const again = connect(gateway, { session: token });
    await again.session;
    await sleep(50);
    expect(again.responses).toEqual([]);
  });

  it('disconnects a client that never acknowledges (ackTimeoutMs); its responses wait for its return', async () => {
    const { gateway } = await setup({ ackTimeoutMs: 300 });
    const c = connect(gateway);
    const { token } = await c.session;
    await c.request({ id: 'x', type: 'echo', payload: { chunks: 2 } });
    const disconnected = new Promise((r) => c.socket.once('disconnect', r));
    expect(await disconnected).toMatch(/^(transport close|io server disconnect)$/);
    const again = connect(gateway, { session: token });
    await until(() => again.responses.length === 3);
    expect(again.responses.map((r) => r.seq)).toEqual([0, 1, 2]);
  });

  it("answers the re-send of a durable request whose socket went before its ack with the first copy's plain ack; the answer comes again, run once", async () => {
    const { gateway, runs } = await setup();
    // The gateway's socket goes while the request's ack is held (the call takes longer than the hold).
    gateway.io.once('connection', (s) => s.on('request', () => setTimeout(() => s.disconnect(true), 5)));
    const c = connect(gateway);
    const { token } = await c.session;
    let acked = false;
    c.socket.emit('request', { id: 'lost', type: 'echo', payload: { delayMs: 100 } }, () => {
      acked = true;
    });
    await until(() => gateway.io.sockets.sockets.size === 0);
    await until(() => runs() === 1);
    expect(acked).toBe(false);
    const again = connect(gateway, { session: token });
    await again.session;
    expect(await again.request({ id: 'lost', type: 'echo', payload: { delayMs: 100 } })).toEqual({ ok: true, id: 'lost' });
    await until(() => again.responses.length === 1);
    expect(again.responses[0]).toMatchObject({ id: 'lost', kind: 'result' });
    expect(again.seqs).toEqual([1]);
    await sleep(30);
    expect(runs()).toBe(1);
  });

  it(`acks a call slower than the default hold (${ACK_HOLD_MS} ms) plainly, about the hold after its confirm, whatever the fast lane's hold, and sends its answer in a frame`, async () => {
    // A fast hold far longer than the durable one: a durable ack must not wait for it.
    const { gateway, open } = await setup({ fastAckHoldMs: LONG_HOLD_MS });
    const c = connect(gateway);
    await c.session;
    await c.request({ id: 'warm', type: 'echo', payload: null });
    const sent = Date.now();
    // The call cannot answer before open(), so its ack is plain and came from the hold alone.
    expect(await c.request({ id: 'slow', type: 'echo', payload: { gated: true } })).toEqual({ ok: true, id: 'slow' });
    const ackedAfter = Date.now() - sent;
    // Never before the hold (a timer does not fire early); the upper bound only catches a hold
    // far above the default: a 1 s stall of this process is the one way it could fail.
    expect(ackedAfter).toBeGreaterThanOrEqual(ACK_HOLD_MS - 2);
    expect(ackedAfter).toBeLessThan(1_000);
    expect(c.responses.some((r) => r.id === 'slow')).toBe(false);
    open();
    await until(() => c.responses.some((r) => r.id === 'slow'));
    expect(c.seqs).toEqual([1, 2]);
  });

  it('keeps an old client (no capability) on ack callbacks and plain acks', async () => {
    const { gateway } = await setup();
    const socket = io(gateway.url, { transports: ['websocket'], reconnection: false });
    cleanup.push(() => socket.close());
    await new Promise((r) => socket.once('session', r));
    const seconds: unknown[] = [];
    socket.on('response', (_r: Response, ack: unknown) => {
      seconds.push(typeof ack);
      if (typeof ack === 'function') ack();
    });
    const ack = await new Promise<Ack>((resolve) => socket.emit('request', { id: 'old', type: 'echo', payload: null }, resolve));
    expect(ack).toEqual({ ok: true, id: 'old' });
    await until(() => seconds.length === 1);
    expect(seconds).toEqual(['function']);
  });
});
