// A framework-free store for one request "slot": send/cancel/reset plus a
// subscribe/getSnapshot pair for useSyncExternalStore. The hook is a thin
// wrapper; everything that can go wrong with overlapping sends, restarts and
// unmounts is decided here, where it can be tested without React.
import { createWarrenError, isWarrenError, type WarrenError } from '@warren/protocol';
import type { Backend } from './backend.ts';
import type { ChunkMeta } from './in-flight.ts';
import { IDLE, progressOf, type RequestOutcome, type RequestProgress, type RequestState, type RequestStatus } from './request-state.ts';

export interface RequestStoreOptions<Chunk = unknown> {
  /** What a `send` does while another request runs. @default 'cancel' */
  concurrent?: 'cancel' | 'queue';
  /** Deadline of each request in ms; 0 = none. @default the backend's defaultTimeoutMs */
  timeoutMs?: number;
  /** Ask for the fast lane for each request (see RequestOptions.fast). @default false */
  fast?: boolean;
  /** Keep only the latest N chunks (long streams). @default unlimited */
  maxChunks?: number;
  /** Called for every chunk of the request being shown. */
  onChunk?: (chunk: Chunk, meta: ChunkMeta) => void;
  /**
   * A retained call's key: sends use it (run once, or attach to the call
   * already under it), and when the owner mounts while the backend's call
   * store has it, the store attaches at once and shows that call, from its
   * first chunk (a reloaded page picks up where it was).
   */
  key?: string;
}

export interface SendOptions {
  /** Overrides the store's `timeoutMs` for this send. */
  timeoutMs?: number;
  /** Overrides the store's `key` for this send (e.g. one per chat turn). */
  key?: string;
}

export interface RequestStoreConfig<Chunk = unknown> {
  backend: Backend;
  type: string;
  options?: RequestStoreOptions<Chunk>;
}

export interface RequestStore<Result = unknown, Chunk = unknown, Payload = unknown> {
  getSnapshot(): RequestState<Result, Chunk>;
  subscribe(listener: () => void): () => void;
  /** Starts (or queues) a request; resolves with its outcome, never rejects. */
  send(payload: Payload, options?: SendOptions): Promise<RequestOutcome<Result>>;
  /** Cancels the running request and drops queued ones. */
  cancel(): void;
  /** Cancels everything, forgets the shown call's key (see Backend.forget) and goes back to 'idle'. */
  reset(): void;
  /** Latest backend/type/options; used by the next send. */
  configure(config: RequestStoreConfig<Chunk>): void;
  /** The owner (a component) is mounted; with a `key` the call store knows, it attaches to that call. */
  attach(): void;
  /** The owner unmounted: in-flight work is cancelled unless it re-attaches at once (StrictMode). */
  detach(): void;
}

interface Run<Payload, Result> {
  /** 'attach': only read the retained call `key` (the owner mounted), never start it. */
  mode: 'run' | 'attach';
  key: string | undefined;
  payload: Payload;
  json: string | undefined;
  timeoutMs: number | undefined;
  controller: AbortController;
  outcome: Promise<RequestOutcome<Result>>;
  settle(outcome: RequestOutcome<Result>): void;
}

const jsonOf = (value: unknown): string | undefined => {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
};

const asWarrenError = (error: unknown): WarrenError =>
  isWarrenError(error) ? error : createWarrenError('INTERNAL', error instanceof Error ? error.message : String(error));

export const createRequestStore = <Result = unknown, Chunk = unknown, Payload = unknown>(
  initial: RequestStoreConfig<Chunk>,
): RequestStore<Result, Chunk, Payload> => {
  let config = initial;
  let state: RequestState<Result, Chunk> = IDLE;
  let active: Run<Payload, Result> | undefined;
  const queue: Array<Run<Payload, Result>> = [];
  const listeners = new Set<() => void>();
  let lifecycle: 'attached' | 'leaving' | 'gone' = 'attached';
  // The run that was in flight when StrictMode's simulated unmount happened;
  // the replayed effect's identical send joins it instead of duplicating it.
  let replayable: Run<Payload, Result> | undefined;

  // Every patch below keeps status, data and error consistent (the union of
  // RequestState); spreading a union loses that, hence the one cast.
  const set = (
    patch: Partial<RequestProgress<Chunk>> & {
      status?: RequestStatus;
      data?: Result | undefined;
      error?: WarrenError | undefined;
      position?: number | undefined;
    },
  ): void => {
    const next = { ...state, ...patch, queued: queue.length } as RequestState<Result, Chunk>;
    // Same snapshot object until a field changes, as useSyncExternalStore requires.
    if ((Object.keys(next) as Array<keyof typeof next>).every((key) => Object.is(next[key], state[key]))) return;
    state = Object.freeze(next);
    for (const listener of [...listeners]) {
      try {
        listener();
      } catch {
        // one broken subscriber must not starve the others
      }
    }
  };

  const cancelled = (reason: string): WarrenError => createWarrenError('CANCELLED', `Request "${config.type}" was cancelled: ${reason}`);

  const start = (run: Run<Payload, Result>): void => {
    active = run;
    set({ status: 'pending', data: undefined, chunks: [], progress: undefined, error: undefined, attempt: 1, position: undefined, key: run.key });
    const { backend, type, options = {} } = config;
    const onChunk = (chunk: Chunk, meta: ChunkMeta): void => {
      if (active !== run) return;
      // A chunk of a newer attempt without an onRestart first still must not mix.
      const fresh = meta.attempt > state.attempt;
      const chunks = [...(fresh ? [] : state.chunks), chunk];
      const max = options.maxChunks;
      if (max !== undefined && max > 0 && chunks.length > max) chunks.splice(0, chunks.length - max);
      set({
        status: 'streaming',
        position: undefined,
        chunks,
        attempt: Math.max(state.attempt, meta.attempt),
        progress: progressOf(chunk) ?? (fresh ? undefined : state.progress),
      });
      options.onChunk?.(chunk, meta);
    };
    const onRestart = (attempt: number): void => {
      if (active !== run) return;
      set({ status: 'pending', chunks: [], progress: undefined, attempt, position: undefined });
    };
    // Waiting behind others in the broker's queue; a chunk already shown means it left it.
    // A first position of 0 is not shown: the gateway cannot tell "next" from
    // "a worker has it", and every request hears it once right after acceptance.
    const onQueued = (position: number): void => {
      if (active !== run || state.status === 'streaming') return;
      if (position === 0 && state.status !== 'queued') return;
      set({ status: 'queued', position });
    };
    const timeoutMs = run.timeoutMs ?? options.timeoutMs;
    const callOptions = {
      onChunk,
      onRestart,
      onQueued,
      signal: run.controller.signal,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    };
    const call =
      run.mode === 'attach' && run.key !== undefined
        ? backend.attach<Result, Chunk>(type, run.key, callOptions)
        : backend.makeBackendRequest<Result, Chunk>(type, run.payload, {
            ...callOptions,
            ...(run.key === undefined ? {} : { key: run.key }),
            ...(options.fast === undefined ? {} : { fast: options.fast }),
          });
    call.then(
      (data) => finish(run, { status: 'success', data }),
      (error: unknown) => {
        const warren = asWarrenError(error);
        finish(run, warren.code === 'CANCELLED' ? { status: 'cancelled', error: warren } : { status: 'error', error: warren });
      },
    );
  };

  const finish = (run: Run<Payload, Result>, outcome: RequestOutcome<Result>): void => {
    if (active !== run) return; // superseded or cancelled: already settled
    active = undefined;
    if (outcome.status === 'success') set({ status: 'success', data: outcome.data, error: undefined, position: undefined });
    else set({ status: outcome.status, error: outcome.error, position: undefined });
    run.settle(outcome);
    const next = queue.shift();
    if (next !== undefined) start(next);
  };

  /** Stops the running request at once; its promise resolves 'cancelled'. */
  const abortActive = (reason: string): WarrenError | undefined => {
    const run = active;
    if (run === undefined) return undefined;
    active = undefined;
    const error = cancelled(reason);
    run.controller.abort(error);
    run.settle({ status: 'cancelled', error });
    return error;
  };

  const dropQueue = (reason: string): void => {
    for (const run of queue.splice(0)) run.settle({ status: 'cancelled', error: cancelled(reason) });
  };

  const newRun = (mode: Run<Payload, Result>['mode'], payload: Payload, options: SendOptions): Run<Payload, Result> => {
    let settle!: (outcome: RequestOutcome<Result>) => void;
    const outcome = new Promise<RequestOutcome<Result>>((resolve) => {
      settle = resolve;
    });
    return {
      mode,
      key: options.key ?? config.options?.key,
      payload,
      json: mode === 'run' ? jsonOf(payload) : undefined,
      timeoutMs: options.timeoutMs,
      controller: new AbortController(),
      outcome,
      settle,
    };
  };

  const send = (payload: Payload, options: SendOptions = {}): Promise<RequestOutcome<Result>> => {
    const json = jsonOf(payload);
    if (replayable !== undefined && replayable === active && json !== undefined && json === replayable.json) {
      const joined = replayable;
      replayable = undefined;
      return joined.outcome;
    }
    if (lifecycle === 'gone') {
      return Promise.resolve({ status: 'cancelled', error: cancelled('its component unmounted') });
    }
    const run = newRun('run', payload, options);
    if (active === undefined) start(run);
    else if (config.options?.concurrent === 'queue') {
      queue.push(run);
      set({});
    } else {
      abortActive('a newer request replaced it');
      start(run);
    }
    return run.outcome;
  };

  /** On mount: show the retained call under the store's key, if this tab sent one. */
  const resume = (): void => {
    const key = config.options?.key;
    if (key === undefined || active !== undefined || state.status !== 'idle') return;
    if (config.backend.retainedCall(key) === undefined) return;
    start(newRun('attach', undefined as Payload, {}));
  };

  const cancel = (): void => {
    dropQueue('cancel() was called');
    const error = abortActive('cancel() was called');
    if (error !== undefined) set({ status: 'cancelled', error, position: undefined });
    else set({});
  };

  const reset = (): void => {
    const shown = state.key;
    dropQueue('reset() was called');
    abortActive('reset() was called');
    if (shown !== undefined) config.backend.forget(shown);
    set(IDLE);
  };

  const detach = (): void => {
    lifecycle = 'leaving';
    replayable = active;
    // StrictMode re-attaches synchronously; a real unmount does not.
    queueMicrotask(() => {
      replayable = undefined;
      if (lifecycle !== 'leaving') return;
      lifecycle = 'gone';
      dropQueue('its component unmounted');
      abortActive('its component unmounted');
    });
  };

  return {
    getSnapshot: () => state,
    subscribe: (listener) => {
      const entry = (): void => listener();
      listeners.add(entry);
      return () => {
        listeners.delete(entry);
      };
    },
    send,
    cancel,
    reset,
    configure: (next) => {
      config = next;
    },
    attach: () => {
      lifecycle = 'attached';
      resume();
    },
    detach,
  };
};
