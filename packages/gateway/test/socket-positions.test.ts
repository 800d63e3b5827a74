// A connection's queue-position watches end on the first response, or at
// the latest a second past their deadline (one timer per connection while
// something waits, not one per request).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { socketPositions, type QueuePositions } from '../src/queue-positions.ts';

const fakePositions = () => {
  const ended: string[] = [];
  const positions: QueuePositions = {
    watch: (type) => ({
      queued: () => {},
      answered: (attempt) => ended.push(`${type} answered ${attempt}`),
      stop: () => ended.push(`${type} stopped`),
    }),
    close: () => {},
  };
  return { positions, ended };
};

afterEach(() => {
  vi.useRealTimers();
});

describe('socket positions', () => {
  it('ends a watch on its first response, and one never answered within a second after its deadline', () => {
    vi.useFakeTimers();
    let t = 0;
    const { positions, ended } = fakePositions();
    const socket = socketPositions(
      positions,
      () => {},
      () => t,
    );
    socket.watch('a', 'fast', true, 500);
    socket.watch('b', 'slow', true, 2_500);
    socket.answered({ kind: 'result', id: 'a', seq: 0, attempt: 1, data: null });
    expect(ended).toEqual(['fast answered 1']);
    t = 2_000;
    vi.advanceTimersByTime(2_000);
    expect(ended).toEqual(['fast answered 1']);
    t = 3_000;
    vi.advanceTimersByTime(1_000);
    expect(ended).toEqual(['fast answered 1', 'slow stopped']);
    // Nothing waits: its timer is gone.
    expect(vi.getTimerCount()).toBe(0);
    // An answer after the deadline finds nothing to end.
    socket.answered({ kind: 'result', id: 'b', seq: 0, attempt: 1, data: null });
    expect(ended).toHaveLength(2);
  });

  it('stops every watch and its timer on close', () => {
    vi.useFakeTimers();
    const { positions, ended } = fakePositions();
    const socket = socketPositions(positions, () => {});
    socket.watch('a', 't', true, 60_000);
    socket.watch('b', 't', true, 60_000);
    socket.close();
    expect(ended).toEqual(['t stopped', 't stopped']);
    expect(vi.getTimerCount()).toBe(0);
  });
});
