// One call in flight: the options a caller passes, the checks a call passes
// before anything is sent, and the record the in-flight table keeps of it.
// Apart so the table's parts (request-send.ts, keyed-calls.ts, cancels.ts)
// share one record type without importing the table. A bad call rejects with
// a code (never throws), like every other failure.
import { createWarrenError, REQUEST_ID_PATTERN, REQUEST_TYPE_PATTERN, type ErrorCode, type WarrenError } from '@warren/protocol';
import { isTimeoutMs, TIMEOUT_RANGE } from './options.ts';
import type { Timed } from './deadlines.ts';
import type { Sequencer } from './sequencer.ts';

/** Per-call options, and the checks a call passes before anything is sent. */
export interface ChunkMeta {
  /** Position of the chunk within its attempt, 0-based. */
  seq: number;
  /** Delivery attempt the chunk belongs to, 1-based. */
  attempt: number;
}

export interface RequestOptions<Chunk = unknown> {
  /** Each chunk, in order, exactly once per attempt. */
  onChunk?: (chunk: Chunk, meta: ChunkMeta) => void;
  /** A worker was lost and the request runs again; chunks restart at seq 0. */
  onRestart?: (attempt: number) => void;
  /** Abort → `cancel` frame and rejection with CANCELLED. */
  signal?: AbortSignal;
  /** Deadline in ms from now; 0 = none. @default the backend's defaultTimeoutMs */
  timeoutMs?: number;
  /**
   * Makes it a retained call (1–128 of `A-Z a-z 0-9 _ . : -`): the first
   * request with this key runs, a later one attaches to it (even after a
   * reload, through any gateway) instead of running it again. Kept in the
   * backend's call store until `forget(key)` or EXPIRED.
   */
  key?: string;
  /** The request waits in its queue with about `position` requests ahead (0: next); called as that changes. */
  onQueued?: (position: number) => void;
  /**
   * Ask for the fast lane: at most once, no durability (docs/protocol.md,
   * "The fast lane"). Taken when a live worker serves the type fast, else the
   * durable path is used. For idempotent reads; retry on TIMEOUT.
   */
  fast?: boolean;
}

/** `backend.attach`'s options: a call's, without the key (given apart). */
export type AttachOptions<Chunk = unknown> = Omit<RequestOptions<Chunk>, 'key'>;

type CheckedCall = { ok: true; id: string; timeoutMs: number } | { ok: false; error: WarrenError };

interface CallContext {
  createId(): string;
  defaultTimeoutMs: number;
  isInFlight(id: string): boolean;
}

export const checkCall = (type: unknown, options: RequestOptions<never>, context: CallContext): CheckedCall => {
  const invalidCall = (code: 'INVALID_REQUEST' | 'CANCELLED' | 'INTERNAL', message: string): CheckedCall => ({
    ok: false,
    error: createWarrenError(code, message),
  });
  if (typeof type !== 'string' || !REQUEST_TYPE_PATTERN.test(type)) {
    return invalidCall('INVALID_REQUEST', `Request type ${JSON.stringify(type)} must be a letter then up to 99 of A-Z a-z 0-9 _ . -`);
  }
  const timeoutMs = options.timeoutMs ?? context.defaultTimeoutMs;
  if (!isTimeoutMs(timeoutMs)) return invalidCall('INVALID_REQUEST', `timeoutMs must be ${TIMEOUT_RANGE}, got ${String(timeoutMs)}`);
  // Already aborted: nothing was sent, so there is nothing to cancel.
  if (options.signal?.aborted) return invalidCall('CANCELLED', `Request "${type}" was cancelled before it was sent`);
  if (options.key !== undefined && (typeof options.key !== 'string' || !REQUEST_ID_PATTERN.test(options.key))) {
    return invalidCall('INVALID_REQUEST', `key ${JSON.stringify(options.key)} must be 1–128 of A-Z a-z 0-9 _ . : -`);
  }
  let id: unknown;
  try {
    id = context.createId();
  } catch (error) {
    return invalidCall('INTERNAL', `createId threw: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof id !== 'string' || !REQUEST_ID_PATTERN.test(id)) {
    return invalidCall('INVALID_REQUEST', `createId returned ${JSON.stringify(id)}; ids are 1–128 of A-Z a-z 0-9 _ . : -`);
  }
  if (context.isInFlight(id)) return invalidCall('INVALID_REQUEST', `createId returned "${id}", which is already in flight`);
  return { ok: true, id, timeoutMs };
};

/** The table's record of one call, from start() until it settles. */
export interface InFlight extends Timed<InFlight> {
  id: string;
  /** The id it started with (a keyed call gets a fresh one per attach): its TIMEOUT names this one. */
  firstId: string;
  type: string;
  payload: unknown;
  /** Bytes of the payload as JSON, once measured. */
  payloadBytes?: number;
  phase: 'waiting' | 'sent' | 'accepted';
  /** Sent at least once, so the gateway may know it and a cancel is worth sending. */
  emitted: boolean;
  /** A retained call's key. */
  key: string | undefined;
  /** Only attach (backend.attach), never start. */
  attachOnly: boolean;
  /**
   * The gateway accepted it at least once. A keyed call is then attached
   * again (never re-sent) after a reconnect: the gateway detaches a call
   * from a socket that left, and replays it from the first response.
   */
  acceptedOnce: boolean;
  emission: number;
  /** The emission that last went out on the socket (not only queued for a batch). */
  onWire: number;
  settled: boolean;
  /** Made for the call's first response that is not its only one (in-flight.ts handleResponse). */
  sequencer: Sequencer | undefined;
  options: RequestOptions<unknown>;
  resolve(value: unknown): void;
  reject(error: WarrenError): void;
  /** Stops listening to the caller's signal; set only when there is one. */
  stopWatching: (() => void) | undefined;
}

/** Ends a call: resolves or rejects it once, and takes it out of the table. */
export type Settle = (request: InFlight, outcome: { value: unknown } | { error: WarrenError }) => void;
/** Rejects a call with a fresh error of `code`. */
export type Fail = (request: InFlight, code: ErrorCode, message: string) => void;
