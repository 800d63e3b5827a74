// Cumulative response acks (capability cumulative-acks): the client asks for
// them, remembers the highest seq a frame or an ack carried, acknowledges it
// on its next request frame (the same tick a continuation sends one) or,
// after ACK_DELAY_MS without one, in an `acks` frame; seqs start again on
// every socket. The tracker alone with a hand-run timer, then a backend
// over a fake socket.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ACK_DELAY_MS, CAPABILITIES, EVENTS } from '@warren/protocol';
import { createResponseAcks } from '../src/response-acks.ts';
import { connectOptions } from '../src/socket.ts';
import { CURRENT_GATEWAY_SESSION, result } from './fake-socket.ts';
import { flushMicrotasks, setup } from './setup.ts';

afterEach(() => {
  vi.useRealTimers();
});

const tracker = (connected = true) => {
  const emitted: unknown[][] = [];
  const timers: Array<{ fire: () => void; cancelled: boolean; ms: number }> = [];
  const state = { connected };
  const acks = createResponseAcks({
    emit: (...args) => void emitted.push(args),
    isConnected: () => state.connected,
    schedule: (fire, ms) => {
      const timer = { fire, cancelled: false, ms };
      timers.push(timer);
      return () => {
        timer.cancelled = true;
      };
    },
  });
  const fireTimers = () => {
    for (const timer of timers.splice(0)) if (!timer.cancelled) timer.fire();
  };
  return { acks, emitted, timers, state, fireTimers, armed: () => timers.filter((t) => !t.cancelled).length };
};

describe('response acks (the tracker)', () => {
  it('owes the highest seq received, once: a request frame takes it and the standalone timer is cancelled', () => {
    const t = tracker();
    expect(t.acks.take()).toBeUndefined();
    t.acks.received(1);
    t.acks.received(3);
    t.acks.received(2); // lower: already covered
    expect(t.timers.map((x) => x.ms)).toEqual([ACK_DELAY_MS]);
    expect(t.acks.take()).toBe(3);
    expect(t.acks.take()).toBeUndefined();
    expect(t.armed()).toBe(0);
    t.fireTimers();
    expect(t.emitted).toEqual([]);
  });

  it('sends what is owed alone in an `acks` frame when no request took it within the delay', () => {
    const t = tracker();
    t.acks.received(4);
    t.fireTimers();
    expect(t.emitted).toEqual([[EVENTS.acks, 4]]);
    expect(t.acks.take()).toBeUndefined();
    t.acks.received(5);
    expect(t.armed()).toBe(1);
  });

  it('ignores what is not a positive integer seq', () => {
    const t = tracker();
    for (const bogus of [0, -1, 1.5, Number.NaN, '2', null, undefined, () => {}]) t.acks.received(bogus);
    expect(t.acks.take()).toBeUndefined();
    expect(t.timers).toEqual([]);
  });

  it('starts again after a reset (a new socket numbers from 1) and sends nothing while disconnected', () => {
    const t = tracker();
    t.acks.received(7);
    t.acks.reset();
    expect(t.acks.take()).toBeUndefined();
    expect(t.armed()).toBe(0);
    t.acks.received(1);
    expect(t.acks.take()).toBe(1);
    t.acks.received(2);
    t.state.connected = false;
    t.fireTimers();
    expect(t.emitted).toEqual([]);
  });
});

const sequencedSession = { ...CURRENT_GATEWAY_SESSION, capabilities: [...CURRENT_GATEWAY_SESSION.capabilities, CAPABILITIES.cumulativeAcks] };

describe('cumulative acks (backend)', () => {
  it('asks for them in its handshake', () => {
    let auth: unknown;
    connectOptions(() => null).auth((data) => {
      auth = data;
    });
    expect((auth as { capabilities: string[] }).capabilities).toContain(CAPABILITIES.cumulativeAcks);
  });

  it('acknowledges a response frame seq on the request its continuation sends, in the same tick', async () => {
    const { socket, backend } = setup({ session: sequencedSession });
    const first = backend.makeBackendRequest('echo', 1);
    socket.request('r-1').ack?.({ ok: true, id: 'r-1' });
    let second: Promise<unknown> | undefined;
    void first.then(() => {
      second = backend.makeBackendRequest('echo', 2);
    });
    socket.respondSequenced('response', result('r-1', 0, 'one'), 1);
    await flushMicrotasks();
    expect(second).toBeDefined();
    const sent = socket.request('r-2');
    expect(sent.acks).toBe(1);
    expect(socket.bodies(EVENTS.acks)).toEqual([]);
    sent.ack?.({ ok: true, id: 'r-2', response: result('r-2', 0, 'two'), seq: 2 });
    await expect(second).resolves.toBe('two');
    // A third request carries the ack's seq.
    void backend.makeBackendRequest('echo', 3).catch(() => undefined);
    expect(socket.request('r-3').acks).toBe(2);
  });

  it('sends the acks alone after ACK_DELAY_MS when no request follows', async () => {
    vi.useFakeTimers();
    const { socket, backend } = setup({ session: sequencedSession });
    const call = backend.makeBackendRequest('echo', 1);
    socket.request('r-1').ack?.({ ok: true, id: 'r-1', response: result('r-1', 0, 'one'), seq: 1 });
    await expect(call).resolves.toBe('one');
    vi.advanceTimersByTime(ACK_DELAY_MS - 1);
    expect(socket.bodies(EVENTS.acks)).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(socket.bodies(EVENTS.acks)).toEqual([1]);
    socket.respondSequenced('responses', [result('x', 0, 'a')], 2);
    vi.advanceTimersByTime(ACK_DELAY_MS);
    expect(socket.bodies(EVENTS.acks)).toEqual([1, 2]);
  });

  it('piggybacks on a requests frame and reads the seqs of its slots', async () => {
    const { socket, backend } = setup({
      session: { ...sequencedSession, capabilities: [...sequencedSession.capabilities, CAPABILITIES.requestBatches] },
    });
    socket.respondSequenced('response', result('old', 0, 'x'), 5);
    const a = backend.makeBackendRequest('echo', 'a');
    const b = backend.makeBackendRequest('echo', 'b');
    await flushMicrotasks();
    const frame = socket.emitted.find((e) => e.event === EVENTS.requests)!;
    expect(frame.acks).toBe(5);
    frame.ack?.([
      { ok: true, id: 'r-1', response: result('r-1', 0, 'A'), seq: 6 },
      { ok: true, id: 'r-2', response: result('r-2', 0, 'B'), seq: 7 },
    ]);
    await expect(Promise.all([a, b])).resolves.toEqual(['A', 'B']);
    void backend.makeBackendRequest('echo', 'c').catch(() => undefined);
    await flushMicrotasks();
    expect(socket.request('r-3').acks).toBe(7);
  });

  it('forgets the seqs of a dropped socket: the next carries none until its own frames come, and still acks old-style frames', async () => {
    const { socket, backend } = setup({ session: sequencedSession });
    socket.respondSequenced('response', result('gone', 0, 'x'), 3);
    socket.goOffline();
    socket.goOnline();
    socket.serverEmit('session', sequencedSession);
    void backend.makeBackendRequest('echo', 1).catch(() => undefined);
    const sent = socket.request('r-1');
    expect(sent.acks).toBeUndefined();
    expect(socket.bodies(EVENTS.acks)).toEqual([]);
    // A gateway that sends ack callbacks (no capability) is acked as before.
    expect(socket.respond(result('r-1', 0, 'y'))).toBe(true);
    void backend.makeBackendRequest('echo', 2).catch(() => undefined);
    expect(socket.request('r-2').acks).toBeUndefined();
  });

  it('flushes what it owes when closed', async () => {
    const { socket, backend } = setup({ session: sequencedSession });
    socket.respondSequenced('response', result('x', 0, 'x'), 9);
    void backend.close();
    expect(socket.bodies(EVENTS.acks)).toEqual([9]);
  });
});
