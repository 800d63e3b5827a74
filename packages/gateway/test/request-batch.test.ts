// `requests` frames (capability request-batches): the collector alone (order,
// one ack after every element, a frame refused whole, an element answered
// late or thrown), then through a real gateway on the memory transport, where
// each element must meet the same pipeline as a `request` frame: payload
// checks, the duplicate-id claim, the rate and in-flight limits.
import { describe, expect, it } from 'vitest';
import { REQUESTS_FRAME, type Ack, type WireError } from '@warren/protocol';
import { answerRequests } from '../src/request-batch.ts';
import type { AckFn } from '../src/request-pipeline.ts';
import { connect, setup, until } from './support.ts';

type Answer = Ack[] | Ack;

/** A pipeline stand-in: holds each element's ack for the test to answer, in any order. */
const holding = () => {
  const held: { frame: unknown; ack: AckFn; inFrame: boolean }[] = [];
  const answers: Answer[] = [];
  const refusals: WireError[] = [];
  const failures: unknown[] = [];
  const run = (raw: unknown, handleRequest?: (frame: unknown, ack: AckFn) => Promise<void>) =>
    answerRequests(raw, (answer) => answers.push(answer), {
      handleRequest:
        handleRequest ??
        (async (frame, ack, inFrame) => {
          held.push({ frame, ack, inFrame });
        }),
      refused: (error) => refusals.push(error),
      failed: (error) => failures.push(error),
    });
  return { held, answers, refusals, failures, run };
};

const ok = (id: string): Ack => ({ ok: true, id });

describe('answerRequests', () => {
  it('acks once, after the last element is answered, with each ack in its slot whatever order they came in', () => {
    const t = holding();
    t.run([{ id: 'a' }, { id: 'b' }, { id: 'c' }]);
    expect(t.held.map((h) => h.frame)).toEqual([{ id: 'a' }, { id: 'b' }, { id: 'c' }]);
    // Each is told it is a slot: its ack is held the short hold (held-acks.ts), the others wait for it.
    expect(t.held.map((h) => h.inFrame)).toEqual([true, true, true]);
    t.held[2]!.ack(ok('c'));
    const refused: Ack = { ok: false, id: 'a', error: { code: 'RATE_LIMITED', message: 'slow down' } };
    t.held[0]!.ack(refused);
    expect(t.answers).toEqual([]); // b still waits for its broker confirm
    t.held[1]!.ack(ok('b'));
    expect(t.answers).toEqual([[refused, ok('b'), ok('c')]]);
  });

  it("tells each slot once the frame's ack is written (what follows a fast slot's ack waits for it)", async () => {
    const t = holding();
    t.run([{ id: 'a' }, { id: 'b' }]);
    const order: string[] = [];
    void t.held[0]!.ack(ok('a'))?.then(() => order.push(`a written after ${t.answers.length} frame ack`));
    await Promise.resolve();
    expect(order).toEqual([]); // b still waits: the frame's ack is not written
    void t.held[1]!.ack(ok('b'))?.then(() => order.push('b written'));
    await Promise.resolve();
    await Promise.resolve();
    expect(order).toEqual(['a written after 1 frame ack', 'b written']);
  });

  it('answers a slot once: a second ack for the same element changes nothing', () => {
    const t = holding();
    t.run([{ id: 'a' }, { id: 'b' }]);
    t.held[0]!.ack(ok('a'));
    t.held[0]!.ack({ ok: false, id: 'a', error: { code: 'INTERNAL', message: 'late' } });
    expect(t.answers).toEqual([]);
    t.held[1]!.ack(ok('b'));
    expect(t.answers).toEqual([[ok('a'), ok('b')]]);
  });

  it.each([
    ['not an array', { id: 'a', type: 't' }],
    ['null', null],
    ['empty', []],
    [`longer than ${REQUESTS_FRAME.maxRequests}`, Array.from({ length: REQUESTS_FRAME.maxRequests + 1 }, (_, i) => ({ id: `r${i}`, type: 't' }))],
  ])('refuses a frame that is %s whole, with one refusal (not an array), and runs nothing', (_, raw) => {
    const t = holding();
    t.run(raw);
    expect(t.held).toEqual([]);
    expect(t.answers).toHaveLength(1);
    expect(Array.isArray(t.answers[0])).toBe(false);
    expect(t.answers[0]).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    expect(t.answers[0]).not.toHaveProperty('id');
    expect(t.refusals.map((e) => e.code)).toEqual(['INVALID_REQUEST']);
  });

  it(`runs a frame of exactly ${REQUESTS_FRAME.maxRequests}`, () => {
    const t = holding();
    t.run(Array.from({ length: REQUESTS_FRAME.maxRequests }, (_, i) => ({ id: `r${i}` })));
    expect(t.held).toHaveLength(REQUESTS_FRAME.maxRequests);
    for (const [i, h] of t.held.entries()) h.ack(ok(`r${i}`));
    expect((t.answers[0] as Ack[]).map((a) => (a.ok ? a.id : undefined))).toEqual(t.held.map((_, i) => `r${i}`));
  });

  it('answers an element whose handling threw with INTERNAL in its slot, so the others are still acked', async () => {
    const t = holding();
    t.run([{ id: 'a' }, { id: 'b' }], async (frame, ack) => {
      if ((frame as { id: string }).id === 'b') throw new Error('boom');
      ack(ok('a'));
    });
    await until(() => t.answers.length === 1);
    expect(t.answers[0]).toEqual([ok('a'), { ok: false, id: 'b', error: { code: 'INTERNAL', message: 'The gateway failed to accept the request.' } }]);
    expect(t.failures).toHaveLength(1);
  });
});

describe('a gateway reading `requests` frames', () => {
  const batch = (socket: ReturnType<typeof connect>['socket'], frames: unknown): Promise<Answer> =>
    new Promise((resolve) => socket.emit('requests', frames, resolve));
  const codeOf = (a: Ack) => (a.ok ? 'ok' : a.error.code);

  it('runs each element as a request frame: results come back, a malformed element is refused in its slot and the others run', async () => {
    const { gateway, broker } = await setup();
    const client = connect(gateway);
    await client.ready;
    const before = broker.published();
    const answer = (await batch(client.socket, [
      { id: 'a', type: 'echo', payload: { n: 1 } },
      { id: 'bad id', type: 'echo' },
      'not a frame',
      { id: 'c', type: 'echo', payload: { n: 3 } },
    ])) as Ack[];
    expect(answer.map(codeOf)).toEqual(['ok', 'INVALID_REQUEST', 'INVALID_REQUEST', 'ok']);
    expect(answer[0]).toEqual({ ok: true, id: 'a' });
    expect(answer[1]).toMatchObject({ ok: false, id: 'bad id', error: { code: 'INVALID_REQUEST' } });
    expect(broker.published() - before).toBe(2);
    expect(await client.final('a')).toMatchObject({ kind: 'result', data: { echoed: { n: 1 } } });
    expect(await client.final('c')).toMatchObject({ kind: 'result', data: { echoed: { n: 3 } } });
  });

  it('answers a duplicate id inside one frame as two request frames would: the same request gets the first copy’s ack, another DUPLICATE_ID', async () => {
    const { gateway, broker } = await setup();
    const client = connect(gateway);
    await client.ready;
    const before = broker.published();
    const answer = (await batch(client.socket, [
      { id: 'd', type: 'echo', payload: { n: 1 } },
      { id: 'd', type: 'echo', payload: { n: 1 } },
      { id: 'd', type: 'echo', payload: { n: 2 } },
    ])) as Ack[];
    expect(answer.map(codeOf)).toEqual(['ok', 'ok', 'DUPLICATE_ID']);
    expect(answer[1]).toEqual(answer[0]);
    expect(broker.published() - before).toBe(1);
  });

  it('refuses a malformed frame whole, with one refusal, and publishes nothing', async () => {
    const { gateway, broker } = await setup();
    const client = connect(gateway);
    await client.ready;
    const before = broker.published();
    expect(await batch(client.socket, [])).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    expect(await batch(client.socket, { id: 'x', type: 'echo' })).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    expect(broker.published() - before).toBe(0);
  });

  it('applies the rate and in-flight limits to each element: batching buys nothing past them', async () => {
    const { gateway, broker } = await setup({ rateLimitPerSecond: 5, rateLimitBurst: 10 });
    const client = connect(gateway);
    await client.ready;
    const before = broker.published();
    const answer = (await batch(
      client.socket,
      Array.from({ length: 40 }, (_, i) => ({ id: `f${i}`, type: 'echo' })),
    )) as Ack[];
    const accepted = answer.filter((a) => a.ok).length;
    expect(accepted).toBeGreaterThanOrEqual(10);
    expect(accepted).toBeLessThanOrEqual(11);
    expect(answer.filter((a) => !a.ok && a.error.code === 'RATE_LIMITED')).toHaveLength(40 - accepted);
    expect(broker.published() - before).toBe(accepted);

    const { gateway: limited } = await setup({ maxInFlightPerConnection: 2 });
    const other = connect(limited);
    await other.ready;
    const held = (await batch(
      other.socket,
      ['h1', 'h2', 'h3'].map((id) => ({ id, type: 'hang', timeoutMs: 1500 })),
    )) as Ack[];
    expect(held.map(codeOf)).toEqual(['ok', 'ok', 'RATE_LIMITED']);
  });

  it('lists request-batches in its session frame', async () => {
    const { gateway } = await setup();
    const client = connect(gateway);
    const frame = await new Promise<{ capabilities?: string[] }>((resolve) => client.socket.once('session', resolve));
    expect(frame.capabilities).toContain('request-batches');
  });
});
