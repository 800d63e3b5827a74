import type { Response } from '@warren/protocol';
import { describe, expect, it } from 'vitest';
import { createSequencer, type SequencerEvent } from '../src/sequencer.ts';

const chunk = (seq: number, attempt = 1): Response => ({ kind: 'chunk', id: 'r', seq, attempt, data: seq });
const result = (seq: number, attempt = 1): Response => ({ kind: 'result', id: 'r', seq, attempt, data: 'done' });

const describeEvents = (events: SequencerEvent[]): string[] =>
  events.map((e) =>
    e.kind === 'restart' ? `restart:${e.attempt}` : e.kind === 'overflow' ? 'overflow' : `${e.response.kind}:${e.response.seq}@${e.response.attempt}`,
  );

const feed = (responses: Response[], maxHeld?: number): string[] => {
  const sequencer = createSequencer(maxHeld);
  return responses.flatMap((r) => describeEvents(sequencer.accept(r)));
};

describe('sequencer', () => {
  it('delivers in-order responses as they come', () => {
    expect(feed([chunk(0), chunk(1), result(2)])).toEqual(['chunk:0@1', 'chunk:1@1', 'result:2@1']);
  });

  it('drops duplicates', () => {
    expect(feed([chunk(0), chunk(0), chunk(1), chunk(0), result(2), result(2)])).toEqual(['chunk:0@1', 'chunk:1@1', 'result:2@1']);
  });

  it('holds out-of-order responses until the gap fills', () => {
    expect(feed([result(3), chunk(2), chunk(2), chunk(0), chunk(1)])).toEqual(['chunk:0@1', 'chunk:1@1', 'chunk:2@1', 'result:3@1']);
  });

  it('restarts on a higher attempt and ignores lower ones afterwards', () => {
    expect(feed([chunk(0), chunk(1), chunk(0, 2), chunk(2, 1), chunk(1, 2), result(2, 2)])).toEqual([
      'chunk:0@1',
      'chunk:1@1',
      'restart:2',
      'chunk:0@2',
      'chunk:1@2',
      'result:2@2',
    ]);
  });

  it('discards what it held for the old attempt on restart', () => {
    expect(feed([chunk(1), chunk(1, 3), chunk(0, 3)])).toEqual(['restart:3', 'chunk:0@3', 'chunk:1@3']);
  });

  it('reports a first response of attempt 2 as a restart', () => {
    expect(feed([chunk(0, 2)])).toEqual(['restart:2', 'chunk:0@2']);
  });

  it('ignores everything after the final response', () => {
    expect(feed([result(0), chunk(1), result(0, 2)])).toEqual(['result:0@1']);
  });

  it('reports overflow when too many responses wait for a gap', () => {
    expect(feed([chunk(1), chunk(2), chunk(3)], 2)).toEqual(['overflow']);
  });
});
