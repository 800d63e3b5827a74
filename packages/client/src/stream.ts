// stream(): the same request as makeBackendRequest, consumed with
// `for await`. The request starts at once (so `.result` works without
// iterating); chunks wait in a queue until the loop takes them.
//
// Restart (a worker was lost, a higher attempt began): chunks of the old
// attempt not yet taken are discarded, `onRestart(attempt)` fires, and the
// loop goes on with the new attempt's chunks from seq 0. Chunks the loop
// already took cannot be taken back: use onRestart to reset what was shown.
import type { RequestOptions } from './in-flight.ts';

export interface StreamOptions {
  /** A new attempt began; chunks the loop yields next start again at seq 0. */
  onRestart?: (attempt: number) => void;
  /** Abort → `cancel` frame; the loop throws CANCELLED and `result` rejects. */
  signal?: AbortSignal;
  /** Deadline in ms from now; 0 = none. @default the backend's defaultTimeoutMs */
  timeoutMs?: number;
  /** A retained call (see RequestOptions.key): runs once, or attaches to the call already under this key. */
  key?: string;
  /** The request waits in its queue with about `position` requests ahead. */
  onQueued?: (position: number) => void;
  /** Ask for the fast lane (see RequestOptions.fast). */
  fast?: boolean;
}

export interface BackendStream<Chunk, Result> extends AsyncIterable<Chunk> {
  /** The final result; rejects with the same WarrenError the loop throws. */
  readonly result: Promise<Result>;
  /** Cancels the request (as if its signal aborted). */
  cancel(): void;
}

type Start<Chunk, Result> = (options: RequestOptions<Chunk>) => Promise<Result>;

export const createStream = <Chunk, Result>(start: Start<Chunk, Result>, options: StreamOptions = {}): BackendStream<Chunk, Result> => {
  const controller = new AbortController();
  const userSignal = options.signal;
  const forwardAbort = (): void => controller.abort(userSignal?.reason);
  if (userSignal?.aborted) controller.abort(userSignal.reason);
  else userSignal?.addEventListener('abort', forwardAbort, { once: true });

  const queue: Chunk[] = [];
  let waiters: Array<() => void> = [];
  let settled = false;
  let failure: { error: unknown } | undefined;
  let finished = false; // the loop has seen the end (or left early)

  const wake = (): void => {
    const current = waiters;
    waiters = [];
    for (const resolve of current) resolve();
  };

  const requestOptions: RequestOptions<Chunk> = {
    signal: controller.signal,
    onChunk: (chunk) => {
      if (finished) return;
      queue.push(chunk);
      wake();
    },
    onRestart: (attempt) => {
      queue.length = 0;
      options.onRestart?.(attempt);
    },
  };
  if (options.timeoutMs !== undefined) requestOptions.timeoutMs = options.timeoutMs;
  if (options.key !== undefined) requestOptions.key = options.key;
  if (options.onQueued !== undefined) requestOptions.onQueued = options.onQueued;
  if (options.fast !== undefined) requestOptions.fast = options.fast;
  const result = start(requestOptions);

  // Handling the rejection here also keeps an unobserved `.result` from
  // surfacing as an unhandled rejection when the caller only iterates.
  result
    .then(
      () => undefined,
      (error: unknown) => {
        failure = { error };
      },
    )
    .finally(() => {
      settled = true;
      userSignal?.removeEventListener('abort', forwardAbort);
      wake();
    });

  const iterator: AsyncIterator<Chunk, undefined> = {
    next: async () => {
      for (;;) {
        if (finished) return { done: true, value: undefined };
        if (queue.length > 0) return { done: false, value: queue.shift() as Chunk };
        if (settled) {
          finished = true;
          if (failure !== undefined) throw failure.error;
          return { done: true, value: undefined };
        }
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
    // `break`/`return`/a throw in the loop body: stop the work we no longer want.
    return: async () => {
      finished = true;
      queue.length = 0;
      if (!settled) controller.abort();
      wake();
      return { done: true, value: undefined };
    },
  };

  return {
    result,
    cancel: () => controller.abort(),
    [Symbol.asyncIterator]: () => iterator,
  };
};
