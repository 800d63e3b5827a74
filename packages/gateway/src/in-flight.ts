// The gateway's in-flight table: one entry per request, gateway-wide, by
// requestKey(session, id), through its phases:
//
// - claimed: its frame ARRIVED. Claimed before the broker confirms it, so a
//   copy sent meanwhile (a re-send after a lost ack, or a hostile client
//   firing the same frame twice) waits for the first one's outcome and gets
//   the same ack, on any connection of the session. A copy with another type
//   or payload under the same id is refused with DUPLICATE_ID instead of being
//   silently answered with the first request's result.
// - accepted: acked. Remembered until its deadline, so it is never published
//   (and run) twice.
// - answered: its final was relayed; still remembered until its deadline.
// - refused: released at once (the client may retry under the same id).
//
// Once published (or running locally) it also has an owning connection until
// its final is relayed or the connection goes: that is the in-flight gauge,
// the latency histogram, where a cancel of a local run goes, and which
// requests a connection may cancel cheaply. An owned entry past its deadline
// (plus a grace) is dropped and reported, so a lost answer never leaks an
// entry and never goes unseen. Bounded: the oldest entries go first.
import * as crypto from 'node:crypto';
import { requestKey, type Ack } from '@warren/protocol';
import type { LocalRun } from './local-run.ts';

type Phase = 'claimed' | 'accepted' | 'answered' | 'refused';

/** One connection's handle on the table; entries it started are its own, by id (a response names its id, not its key). */
interface Owner {
  readonly owned: Map<string, Entry>;
}

/**
 * Also the first copy's claim (kind 'first'): its start and settle are
 * methods shared by every entry of the table, not two closures and an
 * object made per request (issue 16).
 */
interface Entry {
  kind: 'first';
  start(type: string, deadline: number, local?: LocalRun): void;
  settle(ack: Ack, deadline?: number): void;
  key: string;
  id: string;
  /** The connection that claimed it: start makes it the owner. */
  claimant: Owner;
  phase: Phase;
  fingerprint: string;
  /** The first copy's ack, once it has one. */
  ack: Ack | undefined;
  /** Made only when a copy arrives before the first one's ack (most requests never have a copy). */
  waiting: { promise: Promise<Ack>; resolve(ack: Ack): void } | undefined;
  /** From start (published or running locally), while in flight. */
  owner?: Owner | undefined;
  type?: string;
  startedAt?: number;
  /** Set on start; a claim is remembered until then, an owned entry until then plus a grace. */
  deadline?: number;
  /** The sweep's bucket of its deadline's second, while it has a deadline. */
  due?: Set<Entry> | undefined;
  /** The run, while a plugin answers it inside the gateway (a cancel aborts it there). */
  local?: LocalRun | undefined;
}

export type Claim =
  /** First of its id: start it once it is published (or running locally), then settle with the ack it got. */
  | { kind: 'first'; start(type: string, deadline: number, local?: LocalRun): void; settle(ack: Ack, deadline?: number): void }
  /** Same id, same request: the first one's ack, once it has one. */
  | { kind: 'duplicate'; ack: Promise<Ack> }
  /** Same id, different request. */
  | { kind: 'conflict' };

/** The requests of one connection (one session on one socket). */
export interface ConnectionRequests {
  /** Claims `id` for the request with this fingerprint (see fingerprintOf). */
  claim(id: string, fingerprint: string): Claim;
  /** The local run answering `id`, if this connection started it and it is still running. */
  local(id: string): LocalRun | undefined;
  /** Its final was relayed: returns its type and age in ms, if this connection had it in flight. */
  finish(id: string): { type: string; ageMs: number } | undefined;
  /** The type of `id`, if this connection has it in flight. */
  typeOf(id: string): string | undefined;
  /** Whether this session made `id` (in flight here, or claimed and not past its deadline). */
  has(id: string): boolean;
  /** The socket went: its requests leave the gauge (their answers go to wherever the session resumes). */
  close(): void;
}

export interface InFlightTable {
  connection(session: string): ConnectionRequests;
  /** Requests published or running locally whose final this gateway has not relayed yet (the in-flight gauge). */
  size(): number;
}

type Hash = (text: string) => string;
const bunHash = (globalThis as { Bun?: { hash(text: string): number | bigint } }).Bun?.hash;
const nodeHash = (crypto as { hash?: (algorithm: string, data: string, encoding: 'base64url') => string }).hash;
/**
 * Not cryptographic on purpose: the fingerprint only tells one session's
 * re-send of an id from a different request under the same id (its own
 * mistake). A collision would answer that mistaken copy with the first
 * copy's ack instead of DUPLICATE_ID, which affects the caller alone; no
 * other session's request is ever compared with it. Bun's native wyhash
 * where the gateway runs on Bun (the default); Node has no native
 * non-cryptographic hash, and one in JavaScript is slower than its native
 * SHA-1 past a few kilobytes, so Node uses SHA-1 (one-shot when it has it).
 */
const hashText: Hash = bunHash
  ? (text) => bunHash(text).toString(36)
  : nodeHash
    ? (text) => nodeHash('sha1', text, 'base64url')
    : (text) => crypto.createHash('sha1').update(text).digest('base64url');

/** What makes two frames "the same request": type and payload (as JSON text), the payload by length and hash. */
export const fingerprintOf = (type: string, payloadJson: string): string => `${type}\u0000${payloadJson.length}:${hashText(payloadJson)}`;

const GRACE_MS = 5_000;

/** How often claims sweep for expired entries at most (size() always does). */
const SWEEP_MS = 1_000;
/** Entries are found by the sweep in buckets of deadlines this wide. */
const BUCKET_MS = 1_000;

interface InFlightOptions {
  max?: number;
  now?: () => number;
  /** An owned request whose answer never came (deadline + grace passed), by type. */
  onLost?: (type: string) => void;
}

export const createInFlightTable = ({ max = 100_000, now = Date.now, onLost = () => {} }: InFlightOptions = {}): InFlightTable => {
  const entries = new Map<string, Entry>();
  let ownedCount = 0;
  const release = (entry: Entry) => {
    if (!entry.owner) return;
    entry.owner.owned.delete(entry.id);
    entry.owner = undefined;
    entry.local = undefined;
    ownedCount--;
  };
  // Entries with a deadline, by its second: the sweep reads only the
  // buckets that are due, not every entry. Entries stay until their
  // deadline (answered ones too), so at 1,200 requests a second with 60 s
  // deadlines a walk of the whole table read 72,000 entries a second.
  const buckets = new Map<number, Set<Entry>>();
  const setDeadline = (entry: Entry, deadline: number) => {
    // start and settle give most requests the same deadline: already in its bucket.
    if (entry.deadline === deadline && entry.due !== undefined) return;
    entry.due?.delete(entry);
    entry.deadline = deadline;
    const index = Math.floor(deadline / BUCKET_MS);
    let bucket = buckets.get(index);
    if (bucket === undefined) buckets.set(index, (bucket = new Set()));
    bucket.add(entry);
    entry.due = bucket;
  };
  const drop = (entry: Entry) => {
    release(entry);
    entry.due?.delete(entry);
    entry.due = undefined;
    if (entries.get(entry.key) === entry) entries.delete(entry.key);
  };
  let sweptAt = now();
  const sweep = () => {
    sweptAt = now();
    const t = sweptAt - GRACE_MS;
    for (const [index, bucket] of buckets) {
      if (index * BUCKET_MS >= t) continue;
      for (const entry of bucket) {
        if (entry.deadline! >= t) continue;
        if (entry.owner && entry.type !== undefined) onLost(entry.type);
        drop(entry);
      }
      if (bucket.size === 0) buckets.delete(index);
    }
  };
  /** Still claimed for duplicates: settling, or accepted and not past its deadline. */
  const live = (key: string): Entry | undefined => {
    const entry = entries.get(key);
    if (entry === undefined || entry.phase === 'claimed' || entry.deadline === undefined || entry.deadline > now()) return entry;
    return undefined;
  };

  function start(this: Entry, type: string, deadline: number, local?: LocalRun) {
    // Before publishing: the answer may arrive before the ack goes out.
    if (!this.owner && entries.get(this.key) === this) {
      this.claimant.owned.set(this.id, this);
      this.owner = this.claimant;
      ownedCount++;
    }
    this.type = type;
    setDeadline(this, deadline);
    this.startedAt = now();
    this.local = local;
    // Once it is done, a cancel of it takes the ordinary path again.
    if (local !== undefined) {
      void local.done.finally(() => {
        if (this.local === local) this.local = undefined;
      });
    }
  }
  function settle(this: Entry, ack: Ack, deadline?: number) {
    this.ack = ack;
    this.waiting?.resolve(ack);
    if (!ack.ok || deadline === undefined) {
      this.phase = 'refused';
      return drop(this);
    }
    setDeadline(this, deadline);
    if (this.phase === 'claimed') this.phase = 'accepted';
  }

  /** The first copy's ack, now or once it has one. */
  const ackOf = (entry: Entry): Promise<Ack> => {
    if (entry.ack !== undefined) return Promise.resolve(entry.ack);
    if (entry.waiting === undefined) {
      let resolve!: (ack: Ack) => void;
      const promise = new Promise<Ack>((r) => (resolve = r));
      entry.waiting = { promise, resolve };
    }
    return entry.waiting.promise;
  };

  return {
    connection(session) {
      const owner: Owner = { owned: new Map() };
      // An owned entry is always the table's entry for its key (start takes only
      // that one; drop and a new claim release it first): no key to build.
      const mine = (id: string): Entry | undefined => owner.owned.get(id);
      return {
        claim(id, fingerprint) {
          if (now() - sweptAt > SWEEP_MS) sweep();
          const key = requestKey(session, id);
          const existing = live(key);
          if (existing) return existing.fingerprint === fingerprint ? { kind: 'duplicate', ack: ackOf(existing) } : { kind: 'conflict' };
          const stale = entries.get(key);
          if (stale) drop(stale);
          const entry: Entry = {
            kind: 'first',
            start,
            settle,
            key,
            id,
            claimant: owner,
            phase: 'claimed',
            fingerprint,
            ack: undefined,
            waiting: undefined,
            owner: undefined,
            type: undefined,
            startedAt: undefined,
            deadline: undefined,
            due: undefined,
            local: undefined,
          };
          entries.set(key, entry);
          // Map iteration is insertion order: evict the oldest beyond the cap.
          // (Only then: starting an iteration on every claim was a measurable cost.)
          if (entries.size > max) {
            for (const old of entries.values()) {
              if (entries.size <= max) break;
              drop(old);
            }
          }
          return entry;
        },
        local: (id) => mine(id)?.local,
        finish(id) {
          const entry = mine(id);
          if (!entry || entry.type === undefined || entry.startedAt === undefined) return undefined;
          release(entry);
          entry.phase = 'answered';
          return { type: entry.type, ageMs: now() - entry.startedAt };
        },
        typeOf: (id) => mine(id)?.type,
        has(id) {
          const entry = entries.get(requestKey(session, id));
          return entry !== undefined && (entry.owner === owner || live(entry.key) === entry);
        },
        close() {
          for (const entry of [...owner.owned.values()]) release(entry);
        },
      };
    },
    size() {
      sweep();
      return ownedCount;
    },
  };
};
