// Held acks (capability fast-answers): a fast request's ack waits for the
// call's first response, at most the fast hold, and carries it; later
// responses follow the ack, in order. A durable one's, and a `requests`
// frame slot's, wait the short hold. A fake clock and scheduler: nothing
// waits for real time.
import { describe, expect, it } from 'vitest';
import { ACK_HOLD_MS, FAST_ACK_HOLD_MS, type Ack, type Response } from '@warren/protocol';
import { createHeldAcks } from '../src/held-acks.ts';
import { fakeTimers } from './fake-timers.ts';

const chunk = (id: string, seq: number): Response => ({ kind: 'chunk', id, seq, attempt: 1, data: seq });
const result = (id: string, seq = 0): Response => ({ kind: 'result', id, seq, attempt: 1, data: { echo: id } });

const setup = (holds: { holdMs?: number; fastHoldMs?: number } = {}) => {
  const clock = fakeTimers(1_000);
  /** What reached the socket, in order: acks and forwarded frames alike. */
  const wire: Array<{ ack: Ack } | { frame: Response }> = [];
  const held = createHeldAcks({
    forward: (frame) => wire.push({ frame }),
    ...holds,
    now: clock.now,
    schedule: clock.schedule,
  });
  const send = (ack: Ack) => void wire.push({ ack });
  return {
    held,
    wire,
    send,
    pending: clock.armed,
    /** Moves the clock and fires what fell due. */
    advance: (ms: number) => clock.advance(ms),
  };
};

describe('held acks (fast-answers)', () => {
  it('sends the ack with the first response when it comes within the hold, and nothing else', () => {
    const t = setup();
    t.held.expect('r1', true);
    t.held.hold('r1', { ok: true, id: 'r1' }, t.send);
    expect(t.wire).toEqual([]); // held
    t.advance(FAST_ACK_HOLD_MS - 1);
    expect(t.wire).toEqual([]);
    expect(t.held.answer(result('r1'))).toBe(true);
    expect(t.wire).toEqual([{ ack: { ok: true, id: 'r1', response: result('r1') } }]);
    t.advance(FAST_ACK_HOLD_MS * 2); // its timer no longer sends anything
    expect(t.wire).toHaveLength(1);
    // Its call's ack is gone: a later response is not this module's.
    expect(t.held.answer(result('r1', 1))).toBe(false);
  });

  it('sends the plain ack once the hold ends, and leaves later responses to the frames', () => {
    const t = setup();
    t.held.expect('slow', true);
    t.held.hold('slow', { ok: true, id: 'slow' }, t.send);
    t.advance(FAST_ACK_HOLD_MS - 1);
    expect(t.wire).toEqual([]);
    t.advance(1);
    expect(t.wire).toEqual([{ ack: { ok: true, id: 'slow' } }]);
    expect(t.held.answer(result('slow'))).toBe(false);
    expect(t.pending()).toBe(0);
  });

  it('puts a response that came before the ack was ready (while publishing) in the ack at once', () => {
    const t = setup();
    t.held.expect('quick', true);
    const returned: Response = { kind: 'error', id: 'quick', seq: 0, attempt: 1, error: { code: 'NO_HANDLER', message: 'No worker serves request type "x".' } };
    expect(t.held.answer(returned)).toBe(true);
    expect(t.wire).toEqual([]);
    t.held.hold('quick', { ok: true, id: 'quick' }, t.send);
    expect(t.wire).toEqual([{ ack: { ok: true, id: 'quick', response: returned } }]);
    expect(t.pending()).toBe(0);
  });

  it("writes a stream's first chunk in the ack and its later ones after it, in order", () => {
    const t = setup();
    t.held.expect('s', true);
    expect(t.held.answer(chunk('s', 0))).toBe(true);
    expect(t.held.answer(chunk('s', 1))).toBe(true);
    expect(t.held.answer(result('s', 2))).toBe(true);
    t.held.hold('s', { ok: true, id: 's' }, t.send);
    expect(t.wire).toEqual([{ ack: { ok: true, id: 's', response: chunk('s', 0) } }, { frame: chunk('s', 1) }, { frame: result('s', 2) }]);
  });

  it("keeps a slot's later responses until the requests frame's ack is written (a promise)", async () => {
    const t = setup();
    let written!: () => void;
    const frameWritten = new Promise<void>((resolve) => {
      written = resolve;
    });
    const slotAcks: Ack[] = [];
    t.held.expect('a', true);
    t.held.hold(
      'a',
      { ok: true, id: 'a' },
      (ack) => {
        slotAcks.push(ack);
        return frameWritten;
      },
      true,
    );
    expect(t.held.answer(chunk('a', 0))).toBe(true);
    expect(slotAcks).toEqual([{ ok: true, id: 'a', response: chunk('a', 0) }]);
    // The frame's other slots still wait: what follows waits too.
    expect(t.held.answer(result('a', 1))).toBe(true);
    await Promise.resolve();
    expect(t.wire).toEqual([]);
    written();
    await frameWritten;
    await Promise.resolve();
    expect(t.wire).toEqual([{ frame: result('a', 1) }]);
    expect(t.held.answer(result('a', 2))).toBe(false);
  });

  it('sends a refusal at once (the publish failed) and a request it was not told to expect as it is', () => {
    const t = setup();
    t.held.expect('bad', true);
    const refused: Ack = { ok: false, id: 'bad', error: { code: 'BROKER_UNAVAILABLE', message: 'm' } };
    t.held.hold('bad', refused, t.send);
    t.held.hold('durable', { ok: true, id: 'durable' }, t.send);
    expect(t.wire).toEqual([{ ack: refused }, { ack: { ok: true, id: 'durable' } }]);
    expect(t.held.answer(result('bad'))).toBe(false);
    expect(t.pending()).toBe(0);
  });

  it('holds many with one timer, each released when its own hold ends', () => {
    const t = setup({ fastHoldMs: 10 });
    t.held.expect('a', true);
    t.held.hold('a', { ok: true, id: 'a' }, t.send);
    t.advance(4);
    t.held.expect('b', true);
    t.held.hold('b', { ok: true, id: 'b' }, t.send);
    expect(t.pending()).toBe(1);
    t.advance(6); // a's hold ends, b's does not
    expect(t.wire).toEqual([{ ack: { ok: true, id: 'a' } }]);
    t.held.answer(result('b'));
    expect(t.wire).toEqual([{ ack: { ok: true, id: 'a' } }, { ack: { ok: true, id: 'b', response: result('b') } }]);
    t.advance(10);
    expect(t.wire).toHaveLength(2);
  });

  it('holds a fast ack FAST_ACK_HOLD_MS by default, a durable one and a requests frame slot (fast too) ACK_HOLD_MS', () => {
    const t = setup();
    const ack = (id: string): Ack => ({ ok: true, id });
    t.held.expect('fast', true);
    t.held.hold('fast', ack('fast'), t.send);
    t.held.expect('durable', false);
    t.held.hold('durable', ack('durable'), t.send);
    t.held.expect('slot', true);
    t.held.hold('slot', ack('slot'), t.send, true);
    t.advance(ACK_HOLD_MS - 1);
    expect(t.wire).toEqual([]);
    t.advance(1);
    expect(t.wire).toEqual([{ ack: ack('durable') }, { ack: ack('slot') }]);
    t.advance(FAST_ACK_HOLD_MS - ACK_HOLD_MS - 1);
    expect(t.held.answer(result('durable'))).toBe(false); // its ack went: a frame
    expect(t.wire).toHaveLength(2);
    expect(t.held.answer(result('fast'))).toBe(true);
    expect(t.wire).toEqual([{ ack: ack('durable') }, { ack: ack('slot') }, { ack: { ...ack('fast'), response: result('fast') } }]);
    t.advance(FAST_ACK_HOLD_MS); // the timer armed for it sends nothing more
    expect(t.wire).toHaveLength(3);
    expect(t.pending()).toBe(0);
  });

  it('releases a short hold that began after a long one first, each when its own ends, with one timer armed', () => {
    const t = setup({ holdMs: 10, fastHoldMs: 50 });
    const ack = (id: string): Ack => ({ ok: true, id });
    t.held.expect('f1', true);
    t.held.hold('f1', ack('f1'), t.send); // due at 50
    t.advance(5);
    t.held.expect('d', false);
    t.held.hold('d', ack('d'), t.send); // due at 15, before f1
    expect(t.pending()).toBe(1);
    t.advance(9);
    expect(t.wire).toEqual([]);
    t.advance(1);
    expect(t.wire).toEqual([{ ack: ack('d') }]);
    t.held.expect('f2', true);
    t.held.hold('f2', ack('f2'), t.send); // due at 65
    expect(t.pending()).toBe(1);
    t.advance(34);
    expect(t.wire).toHaveLength(1);
    t.advance(1);
    expect(t.wire).toEqual([{ ack: ack('d') }, { ack: ack('f1') }]);
    t.advance(14);
    expect(t.wire).toHaveLength(2);
    t.advance(1);
    expect(t.wire).toEqual([{ ack: ack('d') }, { ack: ack('f1') }, { ack: ack('f2') }]);
    expect(t.pending()).toBe(0);
  });

  it('writes nothing once closed (the socket went: at most once)', () => {
    const t = setup();
    t.held.expect('r1', true);
    t.held.hold('r1', { ok: true, id: 'r1' }, t.send);
    t.held.expect('r2', true);
    t.held.close();
    expect(t.pending()).toBe(0);
    expect(t.held.answer(result('r1'))).toBe(false);
    t.advance(FAST_ACK_HOLD_MS);
    expect(t.wire).toEqual([]);
  });
});

describe('held acks (cumulative-acks): a durable answer in the ack', () => {
  const durable = () => {
    const carried: Array<{ ack: Ack; settle: () => void }> = [];
    const forwarded: Array<{ response: Response; settle: (() => void) | undefined }> = [];
    const wire: Ack[] = [];
    const held = createHeldAcks({
      forward: (response, settle) => void forwarded.push({ response, settle }),
      carry: (ack, settle) => void carried.push({ ack, settle }),
      schedule: () => () => {},
    });
    return { held, carried, forwarded, wire, send: (ack: Ack) => void wire.push(ack) };
  };

  it("hands the carried response's settle on with the very ack object written, and later ones with the frames", () => {
    const t = durable();
    const settled: string[] = [];
    t.held.expect('d1', false);
    expect(t.held.answer(chunk('d1', 0), () => settled.push('d1/0'))).toBe(true); // before the confirm
    expect(t.held.answer(result('d1', 1), () => settled.push('d1/1'))).toBe(true);
    t.held.hold('d1', { ok: true, id: 'd1' }, t.send);
    expect(t.wire).toEqual([{ ok: true, id: 'd1', response: chunk('d1', 0) }]);
    expect(t.carried).toHaveLength(1);
    expect(t.carried[0]!.ack).toBe(t.wire[0]);
    expect(t.forwarded.map((f) => f.response)).toEqual([result('d1', 1)]);
    // Nothing settled here: the relay does it once the browser acknowledged.
    expect(settled).toEqual([]);
    t.carried[0]!.settle();
    t.forwarded[0]!.settle!();
    expect(settled).toEqual(['d1/0', 'd1/1']);
  });

  it('forwards a durable response with its settle when the publish was refused, and drops (unsettled) all it holds when closed', () => {
    const t = durable();
    t.held.expect('d2', false);
    t.held.answer(result('d2', 0), () => {});
    t.held.hold('d2', { ok: false, id: 'd2', error: { code: 'BROKER_UNAVAILABLE', message: 'x' } }, t.send);
    expect(t.carried).toEqual([]);
    expect(t.forwarded).toHaveLength(1);
    t.held.expect('d3', false);
    t.held.answer(result('d3', 0), () => {
      throw new Error('never settled');
    });
    t.held.close();
    t.held.hold('d3', { ok: true, id: 'd3' }, t.send);
    expect(t.carried).toEqual([]);
    expect(t.forwarded).toHaveLength(1);
  });
});
