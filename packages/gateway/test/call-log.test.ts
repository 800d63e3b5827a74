// The call log's bound: finished calls go oldest first once it is full
// (a batch at a time, never past maxCalls), running calls stay until their
// deadline has passed, and what GET /calls/:id reads of a call is its hops in order.
import { describe, expect, it } from 'vitest';
import { createCallLog } from '../src/ops/call-log.ts';

describe('the call log', () => {
  it('never holds more than maxCalls, keeps the newest, and evicts a batch at a time', () => {
    let t = 1_000;
    const log = createCallLog({ maxCalls: 32, now: () => t });
    const kept = () => Array.from({ length: 200 }, (_, i) => log.get('s', `r${i}`)).filter((e) => e !== undefined).length;
    for (let i = 0; i < 200; i++) {
      log.accepted({ id: `r${i}`, type: 'echo', session: 's', deadline: t + 1_000 });
      log.response('s', { kind: 'result', id: `r${i}`, seq: 0, attempt: 1, data: null });
      t++;
      expect(kept()).toBeLessThanOrEqual(32);
      // The 33rd call took it past the bound: down to 30 (32 - 32/16) in one go.
      if (i === 32) expect(kept()).toBe(30);
    }
    expect(log.get('s', 'r199')).toBeDefined();
    expect(log.get('s', 'r0')).toBeUndefined();
  });

  it('keeps a running call past the bound until its deadline and a grace have passed', () => {
    let t = 1_000;
    const log = createCallLog({ maxCalls: 4, now: () => t });
    log.accepted({ id: 'slow', type: 'echo', session: 's', deadline: t + 10_000 });
    for (let i = 0; i < 20; i++) {
      log.accepted({ id: `r${i}`, type: 'echo', session: 's', deadline: t + 10_000 });
      log.response('s', { kind: 'result', id: `r${i}`, seq: 0, attempt: 1, data: null });
    }
    expect(log.get('s', 'slow')?.outcome).toBeUndefined();
    t += 16_000;
    for (let i = 20; i < 30; i++) log.accepted({ id: `r${i}`, type: 'echo', session: 's', deadline: t + 10_000 });
    expect(log.get('s', 'slow')).toBeUndefined();
  });

  it('records the hops of a call in order', () => {
    let t = 1_000;
    const log = createCallLog({ now: () => t });
    log.accepted({ id: 'a', type: 'echo', session: 's', deadline: 9_000, principal: { sub: 'u1' } });
    t = 1_002;
    log.published('s', 'a');
    t = 1_010;
    log.response('s', { kind: 'chunk', id: 'a', seq: 0, attempt: 1, data: 1, worker: { instance: 'w1', language: 'typescript', startedAt: 1_005 } });
    t = 1_020;
    log.response('s', { kind: 'result', id: 'a', seq: 1, attempt: 1, data: 2 });
    expect(log.get('s', 'a')).toEqual({
      id: 'a',
      type: 'echo',
      session: 's',
      traceparent: undefined,
      principal: 'u1',
      acceptedAt: 1_000,
      deadline: 9_000,
      attempt: 1,
      outcome: 'ok',
      finishedAt: 1_020,
      error: undefined,
      hops: [
        { hop: 'accepted', at: 1_000 },
        { hop: 'published', at: 1_002 },
        { hop: 'picked-up', at: 1_005, attempt: 1, worker: { instance: 'w1', language: 'typescript', startedAt: 1_005 } },
        { hop: 'first-chunk', at: 1_010, attempt: 1 },
        { hop: 'result', at: 1_020, attempt: 1, outcome: 'ok' },
      ],
    });
  });
});
