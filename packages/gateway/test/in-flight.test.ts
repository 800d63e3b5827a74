// The gateway's one in-flight table: claims (duplicates, conflicts, the same
// ack on another connection of the session), the in-flight gauge per owning
// connection, lost answers counted after deadline plus grace, local runs,
// and the bound.
import { describe, expect, it } from 'vitest';
import type { Ack } from '@warren/protocol';
import { createInFlightTable, fingerprintOf, type Claim } from '../src/in-flight.ts';
import type { LocalRun } from '../src/local-run.ts';

const first = (claim: Claim) => {
  if (claim.kind !== 'first') throw new Error(`expected a first claim, got ${claim.kind}`);
  return claim;
};

const table = () => {
  let t = 0;
  const lost: string[] = [];
  const inFlight = createInFlightTable({ now: () => t, onLost: (type) => lost.push(type), max: 3 });
  return { inFlight, lost, at: (ms: number) => (t = ms) };
};

/** Claimed, published and acked, as the pipeline does it. */
const accept = (claim: Claim, type: string, deadline: number) => {
  const c = first(claim);
  c.start(type, deadline);
  c.settle({ ok: true, id: 'x' }, deadline);
};

describe('the in-flight table', () => {
  it('reports an owned entry whose deadline passed more than 5 s ago, once, and forgets it', () => {
    const { inFlight, lost, at } = table();
    const conn = inFlight.connection('s');
    accept(conn.claim('a', 'f'), 'slow', 1_000);
    accept(conn.claim('b', 'f'), 'fast', 60_000);
    at(5_900);
    expect(inFlight.size()).toBe(2); // within the grace
    at(6_100);
    expect(inFlight.size()).toBe(1);
    expect(lost).toEqual(['slow']);
    expect(conn.has('a')).toBe(false);
    expect(conn.typeOf('a')).toBeUndefined();
    expect(inFlight.size()).toBe(1);
    expect(lost).toEqual(['slow']);
  });

  it('does not report an entry that was answered, and tells its type and age once', () => {
    const { inFlight, lost, at } = table();
    const conn = inFlight.connection('s');
    accept(conn.claim('a', 'f'), 'x', 1_000);
    at(250);
    expect(conn.typeOf('a')).toBe('x');
    expect(conn.finish('a')).toEqual({ type: 'x', ageMs: 250 });
    expect(conn.finish('a')).toBeUndefined();
    expect(inFlight.size()).toBe(0);
    at(100_000);
    expect(inFlight.size()).toBe(0);
    expect(lost).toEqual([]);
  });

  it('forgets each entry at its own deadline plus the grace, whatever order the deadlines came in, to the millisecond', () => {
    const { inFlight, lost, at } = table();
    const conn = inFlight.connection('s');
    // Deadlines out of arrival order and within one second of each other.
    accept(conn.claim('late', 'f'), 'late', 9_000);
    accept(conn.claim('early', 'f'), 'early', 2_300);
    accept(conn.claim('mid', 'f'), 'mid', 2_700);
    at(7_299);
    expect(inFlight.size()).toBe(3);
    at(7_301);
    expect(inFlight.size()).toBe(2);
    expect(lost).toEqual(['early']);
    at(7_701);
    expect(inFlight.size()).toBe(1);
    expect(lost).toEqual(['early', 'mid']);
    expect(conn.has('late')).toBe(true);
    at(14_001);
    expect(inFlight.size()).toBe(0);
    expect(lost).toEqual(['early', 'mid', 'late']);
  });

  it('sweeps on claims as well, so expiries are seen without a metrics scrape', () => {
    const { inFlight, lost, at } = table();
    const conn = inFlight.connection('s');
    accept(conn.claim('a', 'f'), 'x', 100);
    at(10_000);
    first(conn.claim('b', 'f'));
    expect(lost).toEqual(['x']);
  });

  it("answers a copy with the first one's ack, on any connection of the session, and refuses a different request under the id", async () => {
    const { inFlight } = table();
    const one = inFlight.connection('s');
    const two = inFlight.connection('s');
    const claim = first(one.claim('a', 'f'));
    const copy = two.claim('a', 'f');
    expect(copy.kind).toBe('duplicate');
    expect(one.claim('a', 'other').kind).toBe('conflict');
    // Another session's id of the same name is its own request.
    expect(inFlight.connection('t').claim('a', 'other').kind).toBe('first');
    const ack: Ack = { ok: true, id: 'a' };
    claim.start('x', 1_000);
    claim.settle(ack, 1_000);
    expect(await (copy as { ack: Promise<Ack> }).ack).toBe(ack);
    // Only the connection that started it has it in flight; the session made it either way.
    expect(two.typeOf('a')).toBeUndefined();
    expect(two.finish('a')).toBeUndefined();
    expect(two.has('a')).toBe(true);
  });

  it('releases a refused id at once and remembers an accepted one until its deadline, answered or not', () => {
    const { inFlight, at } = table();
    const conn = inFlight.connection('s');
    const refused = first(conn.claim('r', 'f'));
    refused.start('x', 1_000); // published, then a plugin threw
    refused.settle({ ok: false, id: 'r', error: { code: 'RATE_LIMITED', message: 'slow down' } });
    expect(inFlight.size()).toBe(0);
    expect(conn.has('r')).toBe(false);
    expect(conn.claim('r', 'other').kind).toBe('first');

    accept(conn.claim('a', 'f'), 'x', 1_000);
    conn.finish('a');
    expect(conn.claim('a', 'f').kind).toBe('duplicate');
    expect(conn.has('a')).toBe(true);
    at(1_000);
    expect(conn.has('a')).toBe(false);
    expect(conn.claim('a', 'other').kind).toBe('first');
  });

  it('keeps an answer that beat the ack answered', () => {
    const { inFlight } = table();
    const conn = inFlight.connection('s');
    const claim = first(conn.claim('a', 'f'));
    claim.start('x', 1_000);
    expect(conn.finish('a')?.type).toBe('x');
    claim.settle({ ok: true, id: 'a' }, 1_000);
    expect(inFlight.size()).toBe(0);
    expect(conn.finish('a')).toBeUndefined();
    expect(conn.claim('a', 'f').kind).toBe('duplicate');
  });

  it("takes a closed connection's requests out of the gauge without counting them lost, and keeps their claims", () => {
    const { inFlight, lost, at } = table();
    const conn = inFlight.connection('s');
    accept(conn.claim('a', 'f'), 'x', 1_000);
    expect(inFlight.size()).toBe(1);
    conn.close();
    expect(inFlight.size()).toBe(0);
    expect(inFlight.connection('s').claim('a', 'f').kind).toBe('duplicate');
    at(10_000);
    expect(inFlight.size()).toBe(0);
    expect(lost).toEqual([]);
  });

  it('finds a local run while it runs, so a cancel aborts it there', async () => {
    const { inFlight } = table();
    const conn = inFlight.connection('s');
    let end!: () => void;
    const run: LocalRun = { abort: () => {}, done: new Promise<void>((resolve) => (end = resolve)) };
    const claim = first(conn.claim('a', 'f'));
    claim.start('x', 1_000, run);
    claim.settle({ ok: true, id: 'a' }, 1_000);
    expect(conn.local('a')).toBe(run);
    expect(inFlight.connection('s').local('a')).toBeUndefined();
    end();
    await run.done;
    await Promise.resolve();
    expect(conn.local('a')).toBeUndefined();
    expect(conn.typeOf('a')).toBe('x');
  });

  it('evicts the oldest entries beyond its bound', () => {
    const { inFlight } = table();
    const conn = inFlight.connection('s');
    for (const id of ['a', 'b', 'c', 'd']) accept(conn.claim(id, 'f'), 'x', 1_000);
    expect(inFlight.size()).toBe(3);
    expect(conn.has('a')).toBe(false);
    expect(conn.claim('a', 'other').kind).toBe('first'); // evicts b
    expect(conn.claim('b', 'other').kind).toBe('first');
    expect(conn.claim('d', 'other').kind).toBe('conflict');
  });
});

describe('fingerprintOf', () => {
  it('is the same for the same type and payload text, and differs when either differs', () => {
    const text = JSON.stringify({ text: 'x'.repeat(80), n: 1 });
    expect(fingerprintOf('echo', text)).toBe(fingerprintOf('echo', `${text}`));
    expect(fingerprintOf('echo', text)).not.toBe(fingerprintOf('echo2', text));
    expect(fingerprintOf('echo', text)).not.toBe(fingerprintOf('echo', text.replace('"n":1', '"n":2')));
    // Same length, one character apart; and the type/payload boundary cannot be shifted.
    expect(fingerprintOf('a', 'bc')).not.toBe(fingerprintOf('ab', 'c'));
    expect(fingerprintOf('t', '"aaaa"')).not.toBe(fingerprintOf('t', '"aaab"'));
  });

  it('tells 20,000 distinct payloads of one type apart', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) seen.add(fingerprintOf('t', JSON.stringify({ i, pad: 'p'.repeat(i % 50) })));
    expect(seen.size).toBe(20_000);
  });
});
