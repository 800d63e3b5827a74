// One timer for every socket's token refresh: each item runs every period on
// its own phase, as a timer of its own would, and a removed item never runs.
// A fake clock and scheduler: nothing waits for real time.
import { describe, expect, it } from 'vitest';
import { createPeriodic } from '../src/periodic.ts';
import { fakeTimers } from './fake-timers.ts';

const setup = (periodMs: number, fail: (item: string) => boolean = () => false) => {
  const clock = fakeTimers();
  const ran: Array<[string, number]> = [];
  const run = (item: string) => {
    ran.push([item, clock.now()]);
    if (fail(item)) throw new Error(`${item} failed`);
  };
  const periodic = createPeriodic<string>(periodMs, run, { now: clock.now, schedule: clock.schedule });
  return {
    periodic,
    ran,
    armed: clock.armed,
    /** Moves the clock a step at a time, firing each timer when it falls due. */
    advance: (ms: number, step = 10) => clock.advance(ms, step),
  };
};

describe('periodic (one timer, many phases)', () => {
  it('runs each item every period from when it was added, on one timer', () => {
    const t = setup(1000);
    t.periodic.add('a');
    t.advance(300);
    t.periodic.add('b');
    expect(t.armed()).toBe(1);
    t.advance(2500);
    expect(t.ran).toEqual([
      ['a', 1000],
      ['b', 1300],
      ['a', 2000],
      ['b', 2300],
    ]);
    expect(t.armed()).toBe(1);
  });

  it('never runs a deleted item, and leaves no timer once none is left', () => {
    const t = setup(1000);
    t.periodic.add('a');
    t.periodic.add('b');
    t.advance(500);
    t.periodic.delete('a');
    t.advance(1000);
    expect(t.ran).toEqual([['b', 1000]]);
    t.periodic.delete('b');
    expect(t.armed()).toBe(0);
    t.advance(5000);
    expect(t.ran).toHaveLength(1);
  });

  it('keeps the timer going when an item throws (the error still reaches the timer, as its own would)', () => {
    let failures = 1;
    const t = setup(100, (item) => item === 'a' && failures-- > 0);
    t.periodic.add('a');
    t.periodic.add('b');
    expect(() => t.advance(100)).toThrow('a failed');
    t.advance(200);
    // 'b', due with 'a', runs on the timer armed at once (the next step of this fake clock).
    expect(t.ran).toEqual([
      ['a', 100],
      ['b', 110],
      ['a', 200],
      ['b', 210],
      ['a', 300],
    ]);
  });
});
