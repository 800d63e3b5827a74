// The state one useBackendRequest shows, as plain data: what a component
// renders, and what `send` resolves with once a request is over.
import type { WarrenError } from '@warren/protocol';

export type RequestStatus = 'idle' | 'pending' | 'streaming' | 'success' | 'error' | 'cancelled';

export interface RequestProgress<Chunk> {
  /** Chunks of the current attempt, in order; a restarted request starts over. */
  readonly chunks: readonly Chunk[];
  /** The latest chunk's numeric `progress` field in [0, 1], if it has one. */
  readonly progress: number | undefined;
  /** Delivery attempt being shown: 0 before the first send, then 1, 2, … */
  readonly attempt: number;
  /** Sends waiting their turn (only with `concurrent: 'queue'`). */
  readonly queued: number;
}

/**
 * A discriminated union on `status`: `data` is the result exactly when
 * `status === 'success'`, `error` is set exactly when it is 'error' or
 * 'cancelled', so checking the status narrows both.
 */
export type RequestState<Result = unknown, Chunk = unknown> = RequestProgress<Chunk> &
  (
    | { readonly status: 'idle' | 'pending' | 'streaming'; readonly data: undefined; readonly error: undefined }
    | { readonly status: 'success'; readonly data: Result; readonly error: undefined }
    | { readonly status: 'error' | 'cancelled'; readonly data: undefined; readonly error: WarrenError }
  );

/** What `send` resolves with. It never rejects, so ignoring it is safe. */
export type RequestOutcome<Result = unknown> =
  | { readonly status: 'success'; readonly data: Result }
  | { readonly status: 'error'; readonly error: WarrenError }
  | { readonly status: 'cancelled'; readonly error: WarrenError };

export const IDLE: RequestState<never, never> = Object.freeze({
  status: 'idle',
  data: undefined,
  chunks: Object.freeze([]) as readonly never[],
  progress: undefined,
  error: undefined,
  attempt: 0,
  queued: 0,
});

/** `chunk.progress` when it is a number in [0, 1]; otherwise undefined. */
export const progressOf = (chunk: unknown): number | undefined => {
  if (typeof chunk !== 'object' || chunk === null) return undefined;
  const value = (chunk as { progress?: unknown }).progress;
  return typeof value === 'number' && value >= 0 && value <= 1 ? value : undefined;
};
