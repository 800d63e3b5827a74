// The handler runtime shared by the Node worker SDK and handlers a gateway
// plugin answers locally: the ctx every handler gets, the abort signal with
// its deadline timer, the race that still answers when a handler ignores its
// signal, and the mapping of whatever it threw to a wire error (its own text
// never travels: see unexpectedError). Where the
// chunks and the final message go (a broker stream with flow control, or the
// session's reply queue) stays with the caller. No I/O here, so the gateway
// does not depend on the worker's broker code.
import { createWarrenError, isWarrenError, newErrorReference, toWireError, unexpectedError, type WarrenError, type WireError } from './errors.ts';

/** The verified caller. Workers see it as `ctx.principal`; only the gateway sets it (header x-warren-principal). */
export interface Principal {
  /** Subject: who the caller is (JWT `sub`). */
  sub?: string;
  roles?: readonly string[];
  [claim: string]: unknown;
}

/** What identifies one run of a request; copied onto its ctx as they are. */
export interface RunFields {
  /** Request id the client chose. */
  id: string;
  type: string;
  /** 1 on first delivery; higher when a previous worker died mid-request. */
  attempt: number;
  /** Verified caller identity from the gateway, if any. */
  principal: Principal | undefined;
  /** Absolute deadline in epoch ms, if the caller set a timeout. */
  deadline: number | undefined;
  traceparent: string | undefined;
}

/** The members of `ctx` that are the same wherever a handler runs; `Log` is the host's logger. */
export type RunContext<Fields extends RunFields, Log, Chunk = unknown> = Fields & {
  /** Aborted on cancel, deadline, shutdown or lost delivery; `reason` is a WarrenError. */
  signal: AbortSignal;
  /** Milliseconds left before the deadline (Infinity when none). */
  remainingMs(): number;
  /** Streams one chunk to the caller; throws the abort reason once aborted. */
  sendChunk(data: Chunk): Promise<void>;
  readonly log: Log;
};

/** How a handler ended: its JSON result (with its JSON text, jsonChecked's), or the error to send. */
export type HandlerOutcome = { kind: 'result'; data: unknown; dataJson?: string } | { kind: 'error'; error: WireError };

export interface HandlerRun<Ctx> {
  readonly ctx: Ctx;
  readonly signal: AbortSignal;
  /** Why it was aborted (the first reason), without making the signal; undefined while it runs on. */
  reason(): WarrenError | undefined;
  /** Aborts the handler with a WarrenError (the first reason wins). */
  abort(reason: WarrenError): void;
  /**
   * Runs `handler(payload, ctx)` against the abort signal: a handler that
   * ignores its signal still gets its answer sent on abort. The result is
   * checked to be JSON; a throw or an abort becomes a wire error. A
   * WarrenError travels as it is; anything else becomes a generic
   * WORKER_ERROR with a reference (unexpectedError: its text never leaves),
   * and is reported to `onFailure` with that reference for the log. Never
   * rejects; stops the deadline timer.
   */
  settle(handler: (payload: unknown, ctx: Ctx) => unknown, payload: unknown, onFailure: (reason: unknown, reference: string) => void): Promise<HandlerOutcome>;
}

/**
 * Checks that `data` is JSON and tells its encoded size (UTF-16 units: close
 * enough for a cap) and its JSON text, which a worker hands to its transport
 * so the data is not stringified again for the message body. `undefined`
 * becomes null; the text is undefined when JSON has none for the value (a
 * function): its envelope then has no data key, as before.
 */
export const jsonChecked = (data: unknown, what: string): [value: unknown, bytes: number, json: string | undefined] => {
  if (data === undefined) return [null, 4, 'null'];
  try {
    const json = JSON.stringify(data) as string | undefined;
    return [data, json?.length ?? 4, json];
  } catch (error) {
    throw createWarrenError('WORKER_ERROR', `The handler's ${what} is not JSON-serialisable: ${(error as Error).message}`);
  }
};

export const startHandlerRun = <Fields extends RunFields, Log, Chunk = unknown>(
  fields: Fields,
  host: {
    /** Called on each ctx.log read: a host may make its child logger lazily. */
    log: () => Log;
    /** Publishes one chunk (already past the abort check). */
    sendChunk: (data: Chunk) => Promise<void>;
    now?: () => number;
  },
): HandlerRun<RunContext<Fields, Log, Chunk>> => {
  const now = host.now ?? Date.now;
  // The AbortController is made when someone reads the signal: most handlers
  // never do, and making one (and listening on it) was a tenth of a worker's
  // CPU per request (docs/decisions/0015, "The worker (third round)").
  let controller: AbortController | undefined;
  let reason: WarrenError | undefined;
  /** settle's race, told of the abort directly rather than through a listener. */
  let rejectSettle: ((reason: WarrenError) => void) | undefined;
  const signal = (): AbortSignal => {
    if (controller === undefined) {
      controller = new AbortController();
      if (reason !== undefined) controller.abort(reason);
    }
    return controller.signal;
  };
  const abort = (why: WarrenError) => {
    if (reason !== undefined) return;
    reason = why;
    controller?.abort(why);
    rejectSettle?.(why);
  };
  const { deadline } = fields;
  // Armed only once a handler returns a promise: a timer can only fire
  // between macrotasks, so a synchronous handler (run, checked and settled
  // in microtasks) never saw it fire, and a setTimeout/clearTimeout pair per
  // such run bought nothing (decision 0019, sixth round). The delay is
  // counted from the deadline, so it fires when it always did.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const armDeadline = () => {
    if (deadline === undefined || reason !== undefined) return;
    timer = setTimeout(() => abort(createWarrenError('TIMEOUT', 'The request deadline passed while the handler was running.')), Math.max(0, deadline - now()));
  };
  const ctx: RunContext<Fields, Log, Chunk> = {
    ...fields,
    get signal() {
      return signal();
    },
    remainingMs: () => (deadline === undefined ? Infinity : Math.max(0, deadline - now())),
    sendChunk: async (data: Chunk) => {
      if (reason !== undefined) throw reason;
      await host.sendChunk(data);
    },
    get log() {
      return host.log();
    },
  };
  const settle = async (
    handler: (payload: unknown, ctx: RunContext<Fields, Log, Chunk>) => unknown,
    payload: unknown,
    onFailure: (reason: unknown, reference: string) => void,
  ) => {
    try {
      // The handler runs a microtask later, as it always did (its caller
      // finishes setting the run up first: a gateway's local run is in
      // flight before its handler starts); a throw lands in the catch
      // below. Only a promise needs the race against the abort; a plain
      // value (a synchronous handler) is the answer unless the run was
      // aborted meanwhile. Two promises fewer per run (decision 0019).
      await undefined;
      const returned = handler(payload, ctx);
      let data: unknown;
      if (returned !== null && typeof returned === 'object' && typeof (returned as PromiseLike<unknown>).then === 'function') {
        armDeadline();
        const aborted = new Promise<never>((_, reject) => {
          if (reason !== undefined) reject(reason);
          else rejectSettle = reject;
        });
        aborted.catch(() => {});
        data = await Promise.race([returned, aborted]);
      } else if (reason !== undefined) throw reason;
      else data = returned;
      const [value, , json] = jsonChecked(data, 'result');
      return (json === undefined ? { kind: 'result', data: value } : { kind: 'result', data: value, dataJson: json }) satisfies HandlerOutcome;
    } catch (error) {
      const failure = reason !== undefined ? reason : error;
      if (isWarrenError(failure)) return { kind: 'error', error: toWireError(failure) } satisfies HandlerOutcome;
      const reference = newErrorReference();
      onFailure(failure, reference);
      return { kind: 'error', error: unexpectedError(reference) } satisfies HandlerOutcome;
    } finally {
      rejectSettle = undefined;
      if (timer !== undefined) clearTimeout(timer);
    }
  };
  return {
    ctx,
    get signal() {
      return signal();
    },
    reason: () => reason,
    abort,
    settle,
  };
};
