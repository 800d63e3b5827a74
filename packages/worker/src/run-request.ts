// Runs one delivered request from start to ack: skips expired and cancelled
// ones, runs the handler with a signal that aborts on cancel/deadline/loss,
// publishes the final message, and acks only after the broker confirmed it.
import type { Logger } from 'pino';
import {
  CANCEL_STREAM,
  createWarrenError,
  requestKey,
  startHandlerRun,
  type HandlerOutcome,
  type RunContext,
  type RunFields,
  type WarrenError,
  type WorkerHop,
} from '@warren/protocol';
import type { RequestDelivery, WorkerTransport } from '@warren/transport';
import type { RunObserver } from './metrics.ts';
import { createResponseStream, isUndeliverable } from './response-stream.ts';

/**
 * Remembers cancelled requests, so one that is still queued when its cancel
 * arrives is skipped on delivery instead of being run. It covers the cancel
 * stream's retention (a request can wait a day), bounded by count.
 */
interface CancelMemory {
  /** `at`: when the cancel was sent (stream records), else now; the age counts from it. */
  add(session: string, id: string, at?: number): void;
  has(session: string, id: string): boolean;
}

export const createCancelMemory = ({
  ttlMs = CANCEL_STREAM.memoryTtlMs as number,
  max = CANCEL_STREAM.memoryMaxEntries as number,
  now = Date.now,
} = {}): CancelMemory => {
  const entries = new Map<string, number>();
  const prune = () => {
    const cutoff = now() - ttlMs;
    for (const [k, at] of entries) {
      if (at > cutoff && entries.size <= max) break; // insertion order ≈ age order
      entries.delete(k);
    }
  };
  return {
    add(session, id, at) {
      const key = requestKey(session, id);
      // Heard again (the other path, or the stream re-read after a reconnect):
      // the first time counts, so re-reading never extends its life.
      if (entries.has(key)) return;
      entries.set(key, Math.min(at ?? now(), now()));
      prune();
    },
    has: (session, id) => {
      // Asked for every request, and almost always of an empty memory: no key string made then.
      if (entries.size === 0) return false;
      const at = entries.get(requestKey(session, id));
      return at !== undefined && at > now() - ttlMs;
    },
  };
};

/**
 * Runs `onLost` when `lost` aborts, until the returned function is called.
 * Every delivery of a channel shares its `lost` signal: one listener per
 * signal calls a set of callbacks, where an add/removeEventListener pair per
 * request was a tenth of the worker's CPU (Bun; docs/decisions/0015, "The worker (third round)").
 */
const lostWatchers = new WeakMap<AbortSignal, Set<() => void>>();
const watchLost = (lost: AbortSignal, onLost: () => void): (() => void) => {
  // As addEventListener on an aborted signal: never told (the caller checks `aborted` after the run).
  if (lost.aborted) return () => {};
  let watchers = lostWatchers.get(lost);
  if (watchers === undefined) {
    const all = new Set<() => void>();
    watchers = all;
    lostWatchers.set(lost, all);
    lost.addEventListener(
      'abort',
      () => {
        for (const watcher of [...all]) watcher();
        all.clear();
      },
      { once: true },
    );
  }
  const mine = watchers;
  mine.add(onLost);
  return () => {
    mine.delete(onLost);
  };
};

/** The `ctx` a handler receives (see RunContext); `Chunk` is what sendChunk accepts: the contract's chunk type for typed handlers. */
export type HandlerContext<Chunk = unknown> = RunContext<RunFields, Logger, Chunk>;

// biome-ignore lint/suspicious/noExplicitAny: an untyped handler takes whatever the contract (or none) says
export type Handler<Payload = any, Result = unknown> = (payload: Payload, ctx: HandlerContext) => Result | Promise<Result>;

interface RunDeps {
  transport: WorkerTransport;
  log: Logger;
  cancels: CancelMemory;
  chunkWindow: number;
  /** This worker, named on seq 0 of each attempt with when it picked the request up (docs/protocol.md, "Hops"). */
  who?: Omit<WorkerHop, 'startedAt'>;
  now?: () => number;
}

/** How a run ended when its final response does not say it: nobody could receive the answer, or it was handed back. */
type RunEnd = 'undeliverable' | 'requeued' | undefined;

export interface Running {
  abort(reason: WarrenError): void;
  done: Promise<RunEnd>;
  delivery: RequestDelivery;
}

export const runRequest = (deps: RunDeps, handler: Handler, delivery: RequestDelivery, observer?: RunObserver): Running => {
  const { request, attempt } = delivery;
  const now = deps.now ?? Date.now;
  // A pino child serialises its bindings when made; most requests never log,
  // so it is made on first use. Every line carries the trace context (made
  // here rather than by a traced logger object per request: decision 0015,
  // "The worker (third round)").
  let child: Logger | undefined;
  const log = () =>
    (child ??= deps.log.child(
      request.traceparent === undefined
        ? { requestId: request.id, type: request.type, attempt }
        : { requestId: request.id, type: request.type, attempt, traceparent: request.traceparent },
    ));
  // The run starts after the pre-delivery checks; an abort that comes
  // before it is kept for it.
  let abortRun: ((reason: WarrenError) => void) | undefined;
  let pendingAbort: WarrenError | undefined;
  const abort = (reason: WarrenError) => {
    if (abortRun) abortRun(reason);
    else pendingAbort ??= reason;
  };
  const stream = createResponseStream(
    deps.transport,
    request.session,
    request.id,
    attempt,
    deps.chunkWindow,
    request.batchReplies === true,
    request.replyTo,
    request.deadline,
    observer?.published,
    deps.who && { ...deps.who, startedAt: now() },
    request.fast === true,
  );
  /**
   * Nobody can receive the answer (its reply queue stayed missing through the
   * retry window): a redelivery could reach nobody either, so the request is
   * done. Logged as such, never as `ok`.
   */
  const undeliverable = (error: unknown): RunEnd => {
    log().warn({ outcome: 'undeliverable', err: (error as Error).message }, 'request finished; its answer has no recipient');
    delivery.ack();
    return 'undeliverable';
  };

  /**
   * A response never reached a queue, so the caller's stream has a gap:
   * hand the request back for a clean new attempt rather than hold it —
   * unless nobody could receive any answer at all.
   */
  const publishFailed = (error: unknown, what: string): RunEnd => {
    if (isUndeliverable(error)) return undeliverable(error);
    log().warn({ err: (error as Error | undefined)?.message }, `${what}; handing the request back for a new attempt`);
    delivery.requeue();
    return 'requeued';
  };

  const finish = async (message: Parameters<typeof stream.final>[0]): Promise<RunEnd> => {
    try {
      await stream.final(message);
      delivery.ack();
    } catch (error) {
      return publishFailed(error, 'a response was not confirmed');
    }
    return undefined;
  };

  const execute = async () => {
    if (request.deadline !== undefined && request.deadline <= now()) {
      log().info('deadline passed before delivery; not running the handler');
      return finish({ kind: 'error', error: { code: 'TIMEOUT', message: 'The deadline passed before a worker could start the request.' } });
    }
    if (deps.cancels.has(request.session, request.id)) {
      log().info('cancelled before delivery; not running the handler');
      return finish({ kind: 'error', error: { code: 'CANCELLED', message: 'The request was cancelled.' } });
    }
    const run = startHandlerRun<RunFields, Logger>(
      { id: request.id, type: request.type, attempt, principal: request.principal, deadline: request.deadline, traceparent: request.traceparent },
      { log, sendChunk: (data) => stream.chunk(data), now },
    );
    abortRun = run.abort;
    if (pendingAbort !== undefined) run.abort(pendingAbort);
    const onLost = () => run.abort(createWarrenError('DISCONNECTED', 'The broker connection carrying this request was lost.'));
    const unwatch = watchLost(delivery.lost, onLost);
    // A chunk that could not be published makes the rest pointless.
    stream.onBroken((failure) =>
      run.abort(
        isUndeliverable(failure) ? (failure as WarrenError) : createWarrenError('BROKER_UNAVAILABLE', 'A response could not be published to the broker.'),
      ),
    );

    const startedAt = now();
    let outcome: HandlerOutcome;
    try {
      outcome = await run.settle(handler, request.payload, (reason, reference) => log().error({ err: reason, reference }, 'handler failed'));
    } finally {
      unwatch();
      stream.onBroken(undefined);
    }
    if (delivery.lost.aborted) return; // another worker will answer the redelivery
    const broken = stream.broken();
    if (broken !== undefined) return publishFailed(broken.reason, 'a response could not be published');
    const reason = run.reason();
    if (reason?.code === 'SHUTTING_DOWN') {
      log().info('handed back on shutdown');
      delivery.requeue();
      return;
    }
    const end = await finish(outcome);
    if (end === undefined && deps.log.isLevelEnabled('info')) {
      log().info({ outcome: outcome.kind === 'result' ? 'ok' : outcome.error.code, durationMs: now() - startedAt }, 'request finished');
    }
    return end;
  };

  const done = execute().catch((error): RunEnd => {
    log().error({ err: error }, 'unexpected failure running a request');
    return undefined;
  });
  return { abort, done, delivery };
};
