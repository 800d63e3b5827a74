// Accepted requests whose answer never came are dropped after their deadline
// plus a grace, and reported, so a lost answer is counted rather than forgotten.
import { describe, expect, it } from 'vitest';
import { createPendingRequests } from '../src/in-flight.ts';

describe('pending requests', () => {
  it('reports an entry whose deadline passed more than 5 s ago, once, and forgets it', () => {
    let t = 0;
    const expired: string[] = [];
    const pending = createPendingRequests(
      () => t,
      (type) => expired.push(type),
    );
    pending.add('a', 'slow', 1_000);
    pending.add('b', 'fast', 60_000);
    t = 5_900;
    expect(pending.size()).toBe(2); // within the grace
    t = 6_100;
    expect(pending.size()).toBe(1);
    expect(expired).toEqual(['slow']);
    expect(pending.has('a')).toBe(false);
    expect(pending.size()).toBe(1);
    expect(expired).toEqual(['slow']);
  });

  it('does not report an entry that was answered', () => {
    let t = 0;
    const expired: string[] = [];
    const pending = createPendingRequests(
      () => t,
      (type) => expired.push(type),
    );
    pending.add('a', 'x', 1_000);
    expect(pending.finish('a')).toEqual({ type: 'x', ageMs: 0 });
    t = 100_000;
    expect(pending.size()).toBe(0);
    expect(expired).toEqual([]);
  });

  it('sweeps on add as well, so expiries are seen without a metrics scrape', () => {
    let t = 0;
    const expired: string[] = [];
    const pending = createPendingRequests(
      () => t,
      (type) => expired.push(type),
    );
    pending.add('a', 'x', 100);
    t = 10_000;
    pending.add('b', 'x', 20_000);
    expect(expired).toEqual(['x']);
  });
});
