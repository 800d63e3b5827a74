// One timer for every deadline of a table (deadlines.ts): entries expire in
// deadline order, removed ones never, and with nothing pending the timer no
// longer holds a process open. The clock and the timer are injected.
import { describe, expect, it } from 'vitest';
import { createDeadlines, type Timed } from '../src/deadlines.ts';

interface Entry extends Timed<Entry> {
  name: string;
}

const setup = () => {
  let clock = 1000;
  const timers: Array<{ fire: () => void; at: number; cleared: boolean; refs: string[] }> = [];
  const expired: string[] = [];
  const deadlines = createDeadlines<Entry>({
    now: () => clock,
    expire: (entry) => expired.push(entry.name),
    setTimer: (fire, ms) => {
      const timer = { fire, at: clock + ms, cleared: false, refs: [] as string[] };
      timers.push(timer);
      return { timer, ref: () => timer.refs.push('ref'), unref: () => timer.refs.push('unref') };
    },
    clearTimer: (handle) => {
      (handle as { timer: { cleared: boolean } }).timer.cleared = true;
    },
  });
  const entry = (name: string, timeoutMs: number): Entry => ({ name, timeoutMs, deadline: clock + timeoutMs, earlier: undefined, later: undefined });
  const live = () => timers.filter((t) => !t.cleared);
  /** Moves the clock to the pending timer's time and fires it. */
  const fireNext = () => {
    const [timer] = live();
    if (timer === undefined) throw new Error('no timer set');
    timer.cleared = true;
    clock = Math.max(clock, timer.at);
    timer.fire();
  };
  return {
    deadlines,
    entry,
    expired,
    live,
    fireNext,
    tick: (ms: number) => {
      clock += ms;
    },
  };
};

describe('deadlines on one timer', () => {
  it('expires entries in deadline order across timeouts, one timer at a time', () => {
    const { deadlines, entry, expired, live, fireNext, tick } = setup();
    deadlines.add(entry('slow-1', 500));
    tick(10);
    deadlines.add(entry('slow-2', 500));
    deadlines.add(entry('fast', 100)); // earlier than the timer: it is set again
    expect(live().map((t) => t.at)).toEqual([1110]);
    fireNext();
    expect(expired).toEqual(['fast']);
    expect(live().map((t) => t.at)).toEqual([1500]);
    fireNext();
    fireNext();
    expect(expired).toEqual(['fast', 'slow-1', 'slow-2']);
    expect(live()).toEqual([]);
  });

  it('never expires a removed entry, and a timer that fires early waits for what is left', () => {
    const { deadlines, entry, expired, live, fireNext, tick } = setup();
    const first = entry('first', 100);
    deadlines.add(first);
    tick(50);
    const second = entry('second', 100);
    deadlines.add(second);
    deadlines.remove(first);
    deadlines.remove(first); // twice: nothing
    expect(live().map((t) => t.at)).toEqual([1100]); // left as it was
    fireNext();
    expect(expired).toEqual([]);
    expect(live().map((t) => t.at)).toEqual([1150]);
    fireNext();
    expect(expired).toEqual(['second']);
    deadlines.remove(second); // already expired: nothing
  });

  it('unrefs the timer when nothing is pending and refs it again for the next entry', () => {
    const { deadlines, entry, live, tick } = setup();
    const one = entry('one', 100);
    deadlines.add(one);
    deadlines.remove(one);
    const [timer] = live();
    expect(timer?.refs).toEqual(['unref']);
    tick(10);
    deadlines.add(entry('two', 100)); // later than the timer: it stays, held again
    expect(live()).toEqual([timer]);
    expect(timer?.refs).toEqual(['unref', 'ref']);
  });

  it('keeps deadline order when the clock steps back, and ignores entries without a deadline', () => {
    const { deadlines, entry, expired, fireNext, tick } = setup();
    deadlines.add(entry('a', 100));
    tick(-30);
    deadlines.add(entry('b', 100)); // earlier than a, though added after it
    deadlines.add({ ...entry('never', 0), deadline: undefined });
    fireNext();
    tick(100);
    fireNext();
    expect(expired).toEqual(['b', 'a']);
  });

  it('lets an expiring entry settle others: each expires once, in order', () => {
    const expired: string[] = [];
    let clock = 0;
    let pending: (() => void) | undefined;
    const entries: Entry[] = ['x', 'y'].map((name) => ({ name, timeoutMs: 5, deadline: 5, earlier: undefined, later: undefined }));
    const deadlines = createDeadlines<Entry>({
      now: () => clock,
      expire: (entry) => {
        expired.push(entry.name);
        for (const other of entries) deadlines.remove(other);
      },
      setTimer: (fire) => {
        pending = fire;
        return 1;
      },
      clearTimer: () => {},
    });
    for (const entry of entries) deadlines.add(entry);
    clock = 5;
    pending?.();
    expect(expired).toEqual(['x', 'y']);
  });
});
