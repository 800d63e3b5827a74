import { describe, expect, it } from 'vitest';
import { createTally } from '../src/index.ts';

describe('createTally', () => {
  it('sums by both label values and hands each sum over once', () => {
    const tally = createTally();
    tally.add('echo', 'ok');
    tally.add('echo', 'ok');
    tally.add('echo', 'TIMEOUT');
    tally.add('chat');
    const drained: [string, string, number][] = [];
    tally.drain((a, b, n) => drained.push([a, b, n]));
    expect(drained).toEqual([
      ['echo', 'ok', 2],
      ['echo', 'TIMEOUT', 1],
      ['chat', '', 1],
    ]);
    const again: unknown[] = [];
    tally.drain((...args) => again.push(args));
    expect(again).toEqual([]);
  });
});
