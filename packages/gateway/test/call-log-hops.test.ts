// The call log keeps a call's hops as fields of one record while they come in
// their usual order, and as an array once one does not (issue 16). What
// GET /calls/:id and the console read must not tell the two apart: for every
// sequence of events, the timeline (hops, their order, their keys in order)
// and the entry are those of a log that pushes each hop as it comes.
import type { Response, WireError } from '@warren/protocol';
import { describe, expect, it } from 'vitest';
import { createCallLog, type CallEntry, type CallHop, type CallLog } from '../src/ops/call-log.ts';

const worker = { instance: 'w1', language: 'typescript' as const, startedAt: 500 };
const boom: WireError = { code: 'WORKER_ERROR', message: 'boom' };
const refusal: WireError = { code: 'NO_HANDLER', message: 'nobody' };

type Event = { kind: 'published' } | { kind: 'refused' } | { kind: 'cancel' } | { kind: 'response'; response: Response };

const EVENTS: Event[] = [
  { kind: 'published' },
  { kind: 'refused' },
  { kind: 'cancel' },
  { kind: 'response', response: { kind: 'chunk', id: 'a', seq: 0, attempt: 1, data: 1, worker } },
  { kind: 'response', response: { kind: 'chunk', id: 'a', seq: 1, attempt: 1, data: 2 } },
  { kind: 'response', response: { kind: 'result', id: 'a', seq: 0, attempt: 1, data: 3 } },
  { kind: 'response', response: { kind: 'chunk', id: 'a', seq: 0, attempt: 2, data: 1, worker: { ...worker, startedAt: 700 } } },
  { kind: 'response', response: { kind: 'result', id: 'a', seq: 2, attempt: 2, data: 3 } },
  { kind: 'response', response: { kind: 'error', id: 'a', seq: 0, attempt: 3, error: boom } },
  { kind: 'response', response: { kind: 'error', id: 'a', seq: 0, attempt: 2, error: boom, worker } },
];

/** The log as it was: every hop an object pushed onto the call's array as it comes. */
const pushingLog = (now: () => number) => {
  const e = {
    attempt: 0,
    outcome: undefined as string | undefined,
    finishedAt: undefined as number | undefined,
    error: undefined as WireError | undefined,
    hops: [] as CallHop[],
  };
  const finish = (outcome: string, error?: WireError) => {
    if (e.outcome !== undefined) return;
    e.outcome = outcome;
    e.finishedAt = now();
    e.error = error;
  };
  e.hops.push({ hop: 'accepted', at: now() });
  const apply = (event: Event) => {
    if (event.kind === 'published') e.hops.push({ hop: 'published', at: now() });
    else if (event.kind === 'cancel') e.hops.push({ hop: 'cancel-sent', at: now() });
    else if (event.kind === 'refused') {
      e.hops.push({ hop: 'error', at: now(), outcome: refusal.code });
      finish(refusal.code, refusal);
    } else {
      const r = event.response;
      if (e.outcome !== undefined) return;
      const t = now();
      if (r.seq === 0) {
        e.attempt = Math.max(e.attempt, r.attempt);
        if (r.worker !== undefined || r.kind === 'chunk' || r.kind === 'result') {
          const hop: CallHop = { hop: 'picked-up', at: typeof r.worker?.startedAt === 'number' ? r.worker.startedAt : t, attempt: r.attempt };
          if (r.worker) hop.worker = r.worker;
          e.hops.push(hop);
        }
        if (r.kind === 'chunk') e.hops.push({ hop: 'first-chunk', at: t, attempt: r.attempt });
      }
      if (r.kind === 'result') {
        e.hops.push({ hop: 'result', at: t, attempt: r.attempt, outcome: 'ok' });
        finish('ok');
      } else if (r.kind === 'error') {
        e.hops.push({ hop: 'error', at: t, attempt: r.attempt, outcome: r.error.code });
        finish(r.error.code, r.error);
      }
    }
  };
  return { e, apply };
};

const applyTo = (log: CallLog, event: Event) => {
  if (event.kind === 'published') log.published('s', 'a');
  else if (event.kind === 'cancel') log.cancelSent('s', 'a');
  else if (event.kind === 'refused') log.refused('s', 'a', refusal);
  else log.response('s', event.response);
};

/** Every sequence of `length` events (repeats allowed). */
function* sequences(length: number): Generator<Event[]> {
  if (length === 0) return yield [];
  for (const rest of sequences(length - 1)) for (const event of EVENTS) yield [...rest, event];
}

describe("the call log's timelines", () => {
  it('are those of a log that pushes each hop as it comes, for every sequence of up to 4 events', () => {
    let checked = 0;
    for (let length = 0; length <= 4; length++) {
      for (const seq of sequences(length)) {
        // Each event one ms after the last, on both logs alike.
        let t = 1_000;
        const log = createCallLog({ now: () => t });
        let u = 1_000;
        const ref = pushingLog(() => u);
        log.accepted({ id: 'a', type: 'echo', session: 's', deadline: 9_000 });
        for (const event of seq) {
          t++;
          u++;
          applyTo(log, event);
          ref.apply(event);
          const entry = log.get('s', 'a') as CallEntry;
          // Keys in order too: the timeline is served as JSON.
          expect(JSON.stringify(entry.hops)).toBe(JSON.stringify(ref.e.hops));
          expect({ attempt: entry.attempt, outcome: entry.outcome, finishedAt: entry.finishedAt, error: entry.error }).toEqual({
            attempt: ref.e.attempt,
            outcome: ref.e.outcome,
            finishedAt: ref.e.finishedAt,
            error: ref.e.error,
          });
        }
        // The console's lists read the same timeline.
        const failed = log.failures()[0];
        if (failed) expect(JSON.stringify(failed.hops)).toBe(JSON.stringify(ref.e.hops));
        const running = log.inFlight()[0];
        if (running) expect(JSON.stringify(running.hops)).toBe(JSON.stringify(ref.e.hops));
        expect(JSON.stringify(log.find('a')?.hops)).toBe(JSON.stringify(ref.e.hops));
        checked++;
      }
    }
    expect(checked).toBe(1 + 10 + 100 + 1_000 + 10_000);
  });

  it('finds a call again under the id it was re-accepted with, and an alias of a retained call', () => {
    let t = 1_000;
    const log = createCallLog({ now: () => t });
    log.accepted({ id: 'a', type: 'echo', session: 's', deadline: 9_000 });
    log.published('s', 'a');
    t = 2_000;
    log.accepted({ id: 'a', type: 'echo', session: 's', deadline: 9_000 });
    expect(log.get('s', 'a')?.hops).toEqual([{ hop: 'accepted', at: 2_000 }]);
    log.accepted({ id: 'c1', type: 'echo', session: 'c1', deadline: 9_000 });
    log.alias('s2', 'mine', 'c1');
    expect(log.get('s2', 'mine')?.id).toBe('c1');
    expect(log.get('s2', 'other')).toBeUndefined();
    expect(log.get('s', 'c1')).toBeUndefined();
  });
});
