// The state one useBackendRequest shows, as plain data: what a component
// renders, and what `send` resolves with once a request is over.
import type { WarrenError } from '@warren/protocol';

export type RequestStatus = 'idle' | 'pending' | 'streaming' | 'success' | 'error' | 'cancelled';

export interface RequestState<Result = unknown, Chunk = unknown> {
  readonly status: RequestStatus;
  /** The result of the last successful request. */
  readonly data: Result | undefined;
  /** Chunks of the current attempt, in order; a restarted request starts over. */
  readonly chunks: readonly Chunk[];
  /** The latest chunk's numeric `progress` field in [0, 1], if it has one. */
  readonly progress: number | undefined;
  /** Set when status is 'error' or 'cancelled'. */
  readonly error: WarrenError | undefined;
  /** Delivery attempt being shown: 0 before the first send, then 1, 2, … */
  readonly attempt: number;
  /** Sends waiting their turn (only with `concurrent: 'queue'`). */
  readonly queued: number;
}

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
