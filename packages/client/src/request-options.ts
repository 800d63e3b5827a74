// Per-call options and the checks a call passes before anything is sent.
// A bad call rejects with a code (never throws), like every other failure.
import { createWarrenError, REQUEST_ID_PATTERN, REQUEST_TYPE_PATTERN, type WarrenError } from '@warren/protocol';
import { isTimeoutMs, TIMEOUT_RANGE } from './options.ts';

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
}

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
