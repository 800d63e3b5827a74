// The request-frame collector alone, over a fake emit and a hand-run
// schedule: a lone request as a `request` frame, a tick's requests as one
// `requests` frame whose ack slots reach each request's own handler, the
// bounds, order, and what a refused or unreadable frame ack does.
import { describe, expect, it } from 'vitest';
import { REQUESTS_FRAME, type RequestFrame } from '@warren/protocol';
import { createRequestFrames } from '../src/request-frames.ts';

interface Sent {
  event: string;
  body: unknown;
  ack: (raw: unknown) => void;
}

const harness = ({
  batching = true,
  connected = true,
  throwOn,
}: {
  batching?: boolean;
  connected?: boolean;
  throwOn?: (event: string, body: unknown) => boolean;
} = {}) => {
  const sent: Sent[] = [];
  const pending: (() => void)[] = [];
  const state = { connected };
  const frames = createRequestFrames({
    emit: (event, body, ack) => {
      if (throwOn?.(event, body)) throw new Error(`cannot encode ${event}`);
      sent.push({ event, body, ack: ack as Sent['ack'] });
    },
    isConnected: () => state.connected,
    schedule: (flush) => pending.push(flush),
  });
  frames.setBatching(batching);
  const acks = new Map<string, unknown[]>();
  const errors = new Map<string, unknown>();
  const live = new Set<string>();
  const send = (id: string, bytes = 10) => {
    live.add(id);
    const frame = { id, type: 't', payload: { id } } as RequestFrame;
    frames.send(
      {
        frame,
        onAck: (raw) => acks.set(id, [...(acks.get(id) ?? []), raw]),
        onError: (error) => errors.set(id, error),
        live: () => live.has(id),
        sent: () => {},
      },
      () => bytes,
    );
  };
  const tick = () => {
    for (const flush of pending.splice(0)) flush();
  };
  return { frames, sent, send, tick, acks, errors, live, state };
};

const ids = (body: unknown) => (body as RequestFrame[]).map((f) => f.id);

describe('createRequestFrames', () => {
  it('sends the requests of one tick as one `requests` frame, and each slot of its ack to its own request', () => {
    const t = harness();
    t.send('a');
    t.send('b');
    t.send('c');
    expect(t.sent).toEqual([]);
    t.tick();
    expect(t.sent.map((s) => s.event)).toEqual(['requests']);
    expect(ids(t.sent[0]!.body)).toEqual(['a', 'b', 'c']);
    const refusal = { ok: false, id: 'b', error: { code: 'RATE_LIMITED', message: 'slow' } };
    t.sent[0]!.ack([{ ok: true, id: 'a' }, refusal, { ok: true, id: 'c' }]);
    expect(Object.fromEntries(t.acks)).toEqual({ a: [{ ok: true, id: 'a' }], b: [refusal], c: [{ ok: true, id: 'c' }] });
  });

  it('sends a lone request as a plain `request` frame', () => {
    const t = harness();
    t.send('a');
    t.tick();
    expect(t.sent.map((s) => [s.event, (s.body as RequestFrame).id])).toEqual([['request', 'a']]);
    t.sent[0]!.ack({ ok: true, id: 'a' });
    expect(t.acks.get('a')).toEqual([{ ok: true, id: 'a' }]);
  });

  it('sends at once, one frame each, when the gateway does not read batches, after what was held', () => {
    const t = harness();
    t.send('a');
    t.send('b');
    t.frames.setBatching(false);
    t.send('c');
    expect(t.sent.map((s) => s.event)).toEqual(['requests', 'request']);
    expect(ids(t.sent[0]!.body)).toEqual(['a', 'b']);
    t.tick();
    expect(t.sent).toHaveLength(2);
  });

  it('gives a refusal of the whole frame to every request, and anything else unreadable to each as a malformed ack', () => {
    const t = harness();
    t.send('a');
    t.send('b');
    t.tick();
    const refusal = { ok: false, error: { code: 'INVALID_REQUEST', message: 'Invalid requests frame' } };
    t.sent[0]!.ack(refusal);
    expect(t.acks.get('a')).toEqual([refusal]);
    expect(t.acks.get('b')).toEqual([refusal]);

    t.send('c');
    t.send('d');
    t.tick();
    t.sent[1]!.ack({ ok: true, id: 'c' }); // not an array: says nothing about any slot
    expect(t.acks.get('c')).toEqual([undefined]);
    expect(t.acks.get('d')).toEqual([undefined]);

    t.send('e');
    t.send('f');
    t.tick();
    t.sent[2]!.ack([{ ok: true, id: 'e' }]); // too short: f has no slot
    expect(t.acks.get('e')).toEqual([{ ok: true, id: 'e' }]);
    expect(t.acks.get('f')).toEqual([undefined]);
  });

  it(`starts a new frame past ${REQUESTS_FRAME.maxRequests} requests or about ${REQUESTS_FRAME.maxBytes} bytes of payload`, () => {
    const t = harness();
    for (let i = 0; i < REQUESTS_FRAME.maxRequests + 1; i++) t.send(`r${i}`);
    expect(t.sent.map((s) => s.event)).toEqual(['requests']); // full: sent without waiting for the tick
    expect(ids(t.sent[0]!.body)).toHaveLength(REQUESTS_FRAME.maxRequests);
    t.tick();
    expect(t.sent.map((s) => (s.body as RequestFrame).id)).toContain(`r${REQUESTS_FRAME.maxRequests}`);

    const b = harness();
    const third = Math.floor(REQUESTS_FRAME.maxBytes / 3) + 1;
    b.send('x1', third);
    b.send('x2', third);
    b.send('x3', third); // would pass the bound: the first two go now
    b.send('big', REQUESTS_FRAME.maxBytes * 2); // larger than a frame: alone
    b.tick();
    expect(b.sent.map((s) => (s.event === 'requests' ? ids(s.body) : [(s.body as RequestFrame).id]))).toEqual([['x1', 'x2'], ['x3'], ['big']]);
  });

  it("keeps under a lower byte bound (the gateway's payload limit), never above REQUESTS_FRAME.maxBytes", () => {
    const t = harness();
    t.frames.setBatching(true, 100);
    for (const id of ['a', 'b', 'c', 'd', 'e']) t.send(id, 40);
    t.tick();
    expect(t.sent.map((s) => (s.event === 'requests' ? ids(s.body) : [(s.body as RequestFrame).id]))).toEqual([['a', 'b'], ['c', 'd'], ['e']]);

    const u = harness();
    u.frames.setBatching(true, REQUESTS_FRAME.maxBytes * 4);
    u.send('x', REQUESTS_FRAME.maxBytes - 10);
    u.send('y', 20);
    u.tick();
    expect(u.sent.map((s) => (s.event === 'requests' ? ids(s.body) : [(s.body as RequestFrame).id]))).toEqual([['x'], ['y']]);
  });

  it('flushes on demand (a cancel must not overtake its request)', () => {
    const t = harness();
    t.send('a');
    t.send('b');
    t.frames.flush();
    expect(t.sent.map((s) => s.event)).toEqual(['requests']);
    t.tick();
    expect(t.sent).toHaveLength(1);
  });

  it('leaves out what nothing waits for, and drops the frame when the socket went (they are sent again on reconnect)', () => {
    const t = harness();
    t.send('a');
    t.send('b');
    t.send('c');
    t.live.delete('b');
    t.tick();
    expect(ids(t.sent[0]!.body)).toEqual(['a', 'c']);

    t.send('d');
    t.send('e');
    t.state.connected = false;
    t.tick();
    expect(t.sent).toHaveLength(1);
  });

  it('fails only the request socket.io cannot encode, and sends the others one by one', () => {
    const t = harness({ throwOn: (event, body) => (event === 'requests' ? true : (body as RequestFrame).id === 'b') });
    t.send('a');
    t.send('b');
    t.send('c');
    t.tick();
    expect(t.sent.map((s) => [s.event, (s.body as RequestFrame).id])).toEqual([
      ['request', 'a'],
      ['request', 'c'],
    ]);
    expect([...t.errors.keys()]).toEqual(['b']);
  });
});
