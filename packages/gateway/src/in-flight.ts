// The gateway's tables of requests in flight, by phase of the request:
//
// - claimed/accepted (gateway-wide, by requestKey): so a request is never
//   published (and run) twice. An id is claimed when its request ARRIVES, not
//   when the broker confirms it: a copy sent before the confirm (a re-send
//   after a lost ack, or a hostile client firing the same frame twice) waits
//   for the first one's outcome and gets the same ack. A copy with another
//   type or payload under the same id is refused with DUPLICATE_ID instead of
//   being silently answered with the first request's result. Accepted ids are
//   remembered until their deadline; refused ones are released at once (the
//   client may retry under the same id). Bounded: the oldest entries go first.
// - pending (per connection, by id): accepted and not yet seen answered, for
//   the in-flight gauge, the latency histogram, and to forward cancels only
//   for requests the session really made. Entries past their deadline (plus
//   a grace) are dropped and reported, so a lost answer never leaks an entry
//   and never goes unseen.
import { createHash } from 'node:crypto';
import { requestKey, type Ack } from '@warren/protocol';
import type { LocalRun } from './local-run.ts';

type Claim =
  /** First of its id: run it, then settle with the ack it got (and its deadline when accepted). */
  | { kind: 'first'; settle(ack: Ack, deadline?: number): void }
  /** Same id, same request: the first one's ack, once it has one. */
  | { kind: 'duplicate'; ack: Promise<Ack> }
  /** Same id, different request. */
  | { kind: 'conflict' };

export interface AcceptedRequests {
  /** Accepted (or being accepted) and not past its deadline. */
  has(session: string, id: string): boolean;
  /** Claims `id` in `session` for the request with this fingerprint (see fingerprintOf). */
  claim(session: string, id: string, fingerprint: string): Claim;
}

/** What makes two frames "the same request": type and payload (as JSON text). */
export const fingerprintOf = (type: string, payloadJson: string): string =>
  createHash('sha256').update(type).update('\u0000').update(payloadJson).digest('base64url');

interface Entry {
  fingerprint: string;
  /** Set once settled as accepted. */
  until?: number;
  ack: Promise<Ack>;
}

export const createAcceptedRequests = ({ max = 100_000, now = Date.now } = {}): AcceptedRequests => {
  const entries = new Map<string, Entry>();
  const live = (k: string): Entry | undefined => {
    const entry = entries.get(k);
    if (entry?.until !== undefined && entry.until <= now()) {
      entries.delete(k);
      return undefined;
    }
    return entry;
  };
  return {
    has: (session, id) => live(requestKey(session, id)) !== undefined,
    claim(session, id, fingerprint) {
      const k = requestKey(session, id);
      const existing = live(k);
      if (existing) return existing.fingerprint === fingerprint ? { kind: 'duplicate', ack: existing.ack } : { kind: 'conflict' };
      let settleAck!: (ack: Ack) => void;
      const entry: Entry = { fingerprint, ack: new Promise<Ack>((resolve) => (settleAck = resolve)) };
      entries.set(k, entry);
      // Map iteration is insertion order: evict the oldest beyond the cap.
      for (const old of entries.keys()) {
        if (entries.size <= max) break;
        entries.delete(old);
      }
      return {
        kind: 'first',
        settle(ack, deadline) {
          settleAck(ack);
          if (ack.ok && deadline !== undefined) entry.until = deadline;
          else if (entries.get(k) === entry) entries.delete(k);
        },
      };
    },
  };
};

export interface PendingRequests {
  /** `local`: the run, when a plugin answers it inside the gateway (a cancel aborts it there). */
  add(id: string, type: string, deadline: number, local?: LocalRun): void;
  /** The local run answering `id`, if it is one and still running. */
  local(id: string): LocalRun | undefined;
  /** Removes it; returns its type and age in ms, if it was pending. */
  finish(id: string): { type: string; ageMs: number } | undefined;
  has(id: string): boolean;
  typeOf(id: string): string | undefined;
  size(): number;
  clear(): void;
}

const GRACE_MS = 5_000;

/** How often `add` sweeps for expired entries at most. */
const SWEEP_MS = 1_000;

export const createPendingRequests = (now: () => number = Date.now, onExpired: (type: string) => void = () => {}): PendingRequests => {
  const entries = new Map<string, { type: string; startedAt: number; deadline: number; local?: LocalRun | undefined }>();
  let sweptAt = now();
  const prune = () => {
    sweptAt = now();
    const t = sweptAt - GRACE_MS;
    for (const [id, e] of entries) {
      if (e.deadline >= t) continue;
      entries.delete(id);
      onExpired(e.type);
    }
  };
  return {
    add(id, type, deadline, local) {
      if (now() - sweptAt > SWEEP_MS) prune();
      entries.set(id, { type, startedAt: now(), deadline, local });
      // Once it is done, a cancel of it takes the ordinary path again.
      void local?.done.finally(() => {
        const entry = entries.get(id);
        if (entry?.local === local) entry.local = undefined;
      });
    },
    local: (id) => entries.get(id)?.local,
    finish(id) {
      const e = entries.get(id);
      if (!e) return undefined;
      entries.delete(id);
      return { type: e.type, ageMs: now() - e.startedAt };
    },
    has: (id) => entries.has(id),
    typeOf: (id) => entries.get(id)?.type,
    size() {
      prune();
      return entries.size;
    },
    clear: () => entries.clear(),
  };
};
