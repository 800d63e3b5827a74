// One call's record in the call log (call-log.ts): its hops, while they
// come in their usual order, are fields of the record, made into CallHops
// only when read (issue 16); the first hop out of that order turns them
// into an array.
import type { WorkerHop } from '@warren/protocol';
import type { CallEntry, CallHop } from './call-log.ts';

/** Where each hop stands in a call's usual order (`cancel-sent` has no place in it: always pushed). */
export const RANK = { accepted: 0, published: 1, 'picked-up': 2, 'first-chunk': 3, result: 4, error: 4 } as const;

/**
 * One record per call. Its hops, while they come in their usual order
 * (accepted, published, picked-up, first-chunk, result or error, each at
 * most once), are fields of the record, made into CallHops only when read
 * (GET /calls/:id, the console): not four hop objects and an array per call
 * (issue 16). The first hop out of that order (a second attempt's pick-up,
 * a publish confirmed after the answer, a cancel) turns them into the
 * `hops` array, where every later one is pushed as it comes.
 */
export interface CallRecord extends Omit<CallEntry, 'hops'> {
  /** The rank (RANK) of the last hop kept in fields. */
  stage: number;
  /** Each `…At` is undefined until its hop came. */
  publishedAt: number | undefined;
  pickedAt: number | undefined;
  pickedAttempt: number;
  pickedWorker: WorkerHop | undefined;
  chunkAt: number | undefined;
  chunkAttempt: number;
  endHop: 'result' | 'error' | undefined;
  endAt: number;
  /** Undefined for a refusal of the publish (no attempt then). */
  endAttempt: number | undefined;
  endOutcome: string;
  hops: CallHop[] | undefined;
}

/** The hops kept in fields, as CallHops (the same objects, keys in the same order, as when they were pushed one by one). */
const fieldHops = (r: CallRecord): CallHop[] => {
  const hops: CallHop[] = [{ hop: 'accepted', at: r.acceptedAt }];
  if (r.stage === 0) return hops;
  if (r.publishedAt !== undefined) hops.push({ hop: 'published', at: r.publishedAt });
  if (r.pickedAt !== undefined) {
    const hop: CallHop = { hop: 'picked-up', at: r.pickedAt, attempt: r.pickedAttempt };
    if (r.pickedWorker) hop.worker = r.pickedWorker;
    hops.push(hop);
  }
  if (r.chunkAt !== undefined) hops.push({ hop: 'first-chunk', at: r.chunkAt, attempt: r.chunkAttempt });
  if (r.endHop !== undefined) {
    hops.push(
      r.endAttempt === undefined
        ? { hop: r.endHop, at: r.endAt, outcome: r.endOutcome }
        : { hop: r.endHop, at: r.endAt, attempt: r.endAttempt, outcome: r.endOutcome },
    );
  }
  return hops;
};

/** A hop that does not follow the usual order: from now on the record's hops are an array. */
export const pushHop = (r: CallRecord, hop: CallHop) => {
  (r.hops ??= fieldHops(r)).push(hop);
};

/** What readers get: the record as a CallEntry, its hops made now. */
export const entryOf = (r: CallRecord): CallEntry => ({
  id: r.id,
  type: r.type,
  session: r.session,
  traceparent: r.traceparent,
  principal: r.principal,
  acceptedAt: r.acceptedAt,
  deadline: r.deadline,
  attempt: r.attempt,
  outcome: r.outcome,
  finishedAt: r.finishedAt,
  error: r.error,
  hops: r.hops === undefined ? fieldHops(r) : [...r.hops],
});
