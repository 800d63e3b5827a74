// The state one useBackendRequest shows, as plain data: what a component
// renders, and what `send` resolves with once a request is over.
import type { WarrenError } from '@warren/protocol';

export type RequestStatus = 'idle' | 'pending' | 'queued' | 'streaming' | 'success' | 'error' | 'cancelled';

export interface RequestProgress<Chunk> {
  /** Chunks of the current attempt, in order; a restarted request starts over. */
  readonly chunks: readonly Chunk[];
  /** The latest chunk's numeric `progress` field in [0, 1], if it has one. */
  readonly progress: number | undefined;
  /** Delivery attempt being shown: 0 before the first send, then 1, 2, … */
  readonly attempt: number;
  /** Sends waiting their turn in this store (only with `concurrent: 'queue'`); not the broker's queue (status 'queued'). */
  readonly queued: number;
  /** The key of the retained call shown, if it has one. */
  readonly key: string | undefined;
}

/**
 * A discriminated union on `status`: `data` is the result exactly when
 * `status === 'success'`, `error` is set exactly when it is 'error' or
 * 'cancelled', `position` exactly when it is 'queued' (the request waits
 * behind others in the broker's queue, about that many ahead of it; 0: next),
 * so checking the status narrows all three.
 */
export type RequestState<Result = unknown, Chunk = unknown> = RequestProgress<Chunk> &
  (
    | { readonly status: 'idle' | 'pending' | 'streaming'; readonly data: undefined; readonly error: undefined; readonly position: undefined }
    | { readonly status: 'queued'; readonly position: number; readonly data: undefined; readonly error: undefined }
    | { readonly status: 'success'; readonly data: Result; readonly error: undefined; readonly position: undefined }
    | { readonly status: 'error' | 'cancelled'; readonly data: undefined; readonly error: WarrenError; readonly position: undefined }
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
  key: undefined,
  position: undefined,
});

/** `chunk.progress` when it is a number in [0, 1]; otherwise undefined. */
export const progressOf = (chunk: unknown): number | undefined => {
  if (typeof chunk !== 'object' || chunk === null) return undefined;
  const value = (chunk as { progress?: unknown }).progress;
  return typeof value === 'number' && value >= 0 && value <= 1 ? value : undefined;
};
