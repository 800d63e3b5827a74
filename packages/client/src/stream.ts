// stream(): the same request as makeBackendRequest, consumed with
// `for await`. The request starts at once (so `.result` works without
// iterating); chunks wait in a queue until the loop takes them.
//
// Restart (a worker was lost, a higher attempt began): chunks of the old
// attempt not yet taken are discarded, `onRestart(attempt)` fires, and the
// loop goes on with the new attempt's chunks from seq 0. Chunks the loop
// already took cannot be taken back: use onRestart to reset what was shown.
import type { RequestOptions } from './in-flight.ts';

/**
 * A call's options (RequestOptions) but `onChunk`: the loop takes the chunks.
 * Derived, so an option calls gain reaches stream() too.
 */
export interface StreamOptions extends Omit<RequestOptions, 'onChunk'> {
  /** A new attempt began; chunks the loop yields next start again at seq 0. */
  onRestart?: (attempt: number) => void;
  /** Abort → `cancel` frame; the loop throws CANCELLED and `result` rejects. */
  signal?: AbortSignal;
}

export interface BackendStream<Chunk, Result> extends AsyncIterable<Chunk> {
  /** The final result; rejects with the same WarrenError the loop throws. */
  readonly result: Promise<Result>;
  /** Cancels the request (as if its signal aborted). */
  cancel(): void;
}

type Start<Chunk, Result> = (options: RequestOptions<Chunk>) => Promise<Result>;

export const createStream = <Chunk, Result>(start: Start<Chunk, Result>, options: StreamOptions = {}): BackendStream<Chunk, Result> => {
  // The caller's options as they are (timeoutMs, key, onQueued, fast, ...); the loop has its own signal and chunk handling.
  const { onRestart, signal: userSignal, ...passed } = options;
  const controller = new AbortController();
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
    ...passed,
    signal: controller.signal,
    onChunk: (chunk) => {
      if (finished) return;
      queue.push(chunk);
      wake();
    },
    onRestart: (attempt) => {
      queue.length = 0;
      onRestart?.(attempt);
    },
  };
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
