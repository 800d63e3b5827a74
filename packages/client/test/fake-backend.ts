// A scripted Backend built from the client's real interface: each call is
// recorded and the test decides what it streams and how it ends. No module
// mocks; the hooks get it through <BackendProvider> like a real one.
import { createMemoryCallStore, type Backend, type BackendSnapshot, type CallStore, type ConnectionStatus, type RequestOptions } from '../src/index.ts';
import { createWarrenError, type ErrorCode } from '@warren/protocol';

export interface FakeCall {
  /** 'attach' for backend.attach (never starts the call). */
  mode: 'run' | 'attach';
  type: string;
  payload: unknown;
  options: RequestOptions<unknown>;
  /** True once the caller aborted the signal. */
  readonly aborted: boolean;
  /** Streams one chunk of the current attempt (seq counts up per attempt). */
  chunk(data: unknown, attempt?: number): void;
  /** The request runs again on another worker. */
  restart(attempt: number): void;
  /** A `queued` frame: `position` requests ahead. */
  queued(position: number): void;
  resolve(result: unknown): void;
  reject(code: ErrorCode, message?: string): void;
}

export interface FakeBackend {
  backend: Backend;
  calls: FakeCall[];
  logs: Array<{ level: string; msg: string }>;
  /** The backend's call store; like the real backend, a call with a key is remembered in it. */
  callStore: CallStore;
  setStatus(status: ConnectionStatus): void;
}

export const createFakeBackend = (status: ConnectionStatus = 'connected'): FakeBackend => {
  const calls: FakeCall[] = [];
  const logs: FakeBackend['logs'] = [];
  const listeners = new Set<() => void>();
  let snapshot: BackendSnapshot = { status, sessionId: 's-1' };

  const callStore = createMemoryCallStore();
  const call = <Result, Chunk>(mode: FakeCall['mode'], type: string, payload: unknown, options: RequestOptions<Chunk> = {}) =>
    new Promise<Result>((resolve, reject) => {
      if (mode === 'run' && options.key !== undefined) callStore.set(options.key, { id: `fake-${calls.length + 1}`, type, startedAt: Date.now() });
      let settled = false;
      let seq = 0;
      let attempt = 1;
      const opts = options as RequestOptions<unknown>;
      const done = (fn: () => void) => {
        if (settled) return;
        settled = true;
        fn();
      };
      // Like the real client: an abort rejects at once with CANCELLED.
      options.signal?.addEventListener('abort', () => done(() => reject(createWarrenError('CANCELLED', `Request "${type}" was cancelled`))));
      calls.push({
        mode,
        type,
        payload,
        options: opts,
        get aborted() {
          return options.signal?.aborted ?? false;
        },
        chunk: (data, at = attempt) => {
          if (settled) return;
          if (at !== attempt) seq = 0;
          attempt = at;
          opts.onChunk?.(data, { seq: seq++, attempt });
        },
        restart: (next) => {
          if (settled) return;
          attempt = next;
          seq = 0;
          opts.onRestart?.(next);
        },
        queued: (position) => {
          if (!settled) opts.onQueued?.(position);
        },
        resolve: (result) => done(() => resolve(result as Result)),
        reject: (code, message = `${code} happened`) =>
          done(() => {
            if (code === 'EXPIRED' && options.key !== undefined) callStore.delete(options.key);
            reject(createWarrenError(code, message));
          }),
      });
    });

  const log = (level: string) => (msg: string) => {
    logs.push({ level, msg });
  };

  const backend: Backend = {
    makeBackendRequest: (type, payload, options) => call('run', type, payload, options),
    attach: (type, key, options) => call('attach', type, null, { ...options, key }),
    retainedCall: (key) => callStore.get(key),
    forget: (key) => callStore.delete(key),
    stream: () => {
      throw new Error('stream() is not used by @warren/react');
    },
    status: () => snapshot.status,
    subscribe: (listener) => {
      const entry = () => listener();
      listeners.add(entry);
      return () => {
        listeners.delete(entry);
      };
    },
    getSnapshot: () => snapshot,
    close: () => Promise.resolve(),
    logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), flush: () => undefined },
  };

  return {
    backend,
    calls,
    logs,
    callStore,
    setStatus: (next) => {
      snapshot = { ...snapshot, status: next };
      for (const listener of [...listeners]) listener();
    },
  };
};

/** Lets promise callbacks (and queued microtasks) run. */
export const flush = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));
