// A waiting caller's place in the queue (decision 0014 §5). While requests
// accepted here wait for their first response, one poller per type reads
// the type queue's ready count (a passive declare) every
// queuePositionIntervalMs and tells each waiter its position:
// min(previous, max(0, ready − 1 − behind)), where `behind` counts the
// requests of the type this gateway accepted after it that still wait (the
// queue is FIFO: they are behind it). It never rises, and it is an upper
// bound of the requests ahead; requests queued behind it through other
// gateways make it lag, never jump. The same
// poll refreshes warren_queue_depth; the first response of attempt 1 ends
// the wait and feeds warren_queue_wait_seconds. The types of the registry's
// catalogue get their depth refreshed every 15 s as well.
//
// A request's first position is read once it has waited FIRST_POSITION_AFTER_MS
// (or the interval, if shorter) in its queue, not at once: most requests are
// answered sooner, and a passive declare per request cost the broker a queue
// query each and, at concurrency 64, kept one in flight all the time
// (decision 0015, "C=1 latency"). A poll made for older requests, or by the
// interval, does not tell a younger one its place either: under load that
// put a `queued` frame on a quarter of calls answered within 100 ms.
import type { Logger } from 'pino';
import { EVENTS, type Response } from '@warren/protocol';
import type { GatewayTransport } from '@warren/transport';
import type { GatewayMetrics } from './metrics.ts';

interface Waiter {
  /** Returns when it wants its first position read, if it is too young for this one. */
  update(ready: number, at: number): number | undefined;
}

/** A request's watch: its state, on methods shared by every watch of the gateway. */
interface WaiterRecord extends Waiter, QueueWaiter {
  type: string;
  poller: TypePoll;
  emit: (position: number, token: string | undefined) => void;
  token: string | undefined;
  measureWait: boolean;
  startedAt: number;
  position: number | undefined;
  inQueue: boolean;
  /** When it has waited long enough in its queue to be told its place. */
  firstDue: number;
}
type WaiterState = 'type' | 'poller' | 'emit' | 'token' | 'measureWait' | 'startedAt' | 'position' | 'inQueue' | 'firstDue';

/** How long a request waits in its queue before its first position is read. */
const FIRST_POSITION_AFTER_MS = 100;

interface TypePoll {
  waiters: Set<Waiter>;
  timer: ReturnType<typeof setInterval>;
  /** The poll that gives requests queued since the last one their first position. */
  first: ReturnType<typeof setTimeout> | undefined;
  firstAt: number;
  polling: boolean;
  /** Its first-position timer fired during a poll: poll again once that one is done, so the waiters it was for are read after they were queued. */
  again: boolean;
}

interface QueueWaiter {
  /** The request is in its queue now (the broker confirmed it): positions count from here. */
  queued(): void;
  answered(attempt: number): void;
  stop(): void;
}

export interface QueuePositions {
  /**
   * Tells `emit` the position of a request of `type` accepted just now, each
   * time it changes, until stopped. `measureWait`: its first response
   * (attempt 1) is a queue wait worth measuring (not a re-attach).
   * `token` is handed back to `emit`, so one emit can serve many watches.
   */
  watch(type: string, emit: (position: number, token: string | undefined) => void, measureWait: boolean, token?: string): QueueWaiter;
  close(): void;
}

export const createQueuePositions = (deps: {
  transport: Pick<GatewayTransport, 'queueDepth'>;
  intervalMs: number;
  metrics: Pick<GatewayMetrics, 'queueDepth' | 'queueWait'>;
  log: Logger;
  now?: () => number;
  /** Types the registry knows: their depth is refreshed too, at `catalogueIntervalMs`, even when nobody here waits. */
  catalogueTypes?: () => readonly string[];
  /** @default 15000 */
  catalogueIntervalMs?: number;
  /** @default min(FIRST_POSITION_AFTER_MS, intervalMs) */
  firstAfterMs?: number;
}): QueuePositions => {
  const now = deps.now ?? Date.now;
  const firstAfterMs = deps.firstAfterMs ?? Math.min(FIRST_POSITION_AFTER_MS, deps.intervalMs);
  const types = new Map<string, TypePoll>();
  /** Arms the type's one first-position timer for `ms` from now, unless it fires sooner already. */
  const armFirst = (type: string, poller: TypePoll, ms: number) => {
    const at = now() + ms;
    if (poller.first !== undefined) {
      if (poller.firstAt <= at) return;
      clearTimeout(poller.first);
    }
    poller.firstAt = at;
    poller.first = setTimeout(() => {
      poller.first = undefined;
      void poll(type, poller);
    }, ms);
    poller.first.unref?.();
  };
  const catalogueTimer =
    deps.catalogueTypes &&
    setInterval(async () => {
      for (const type of deps.catalogueTypes?.() ?? []) {
        if (types.has(type)) continue; // polled faster already
        const depth = await deps.transport.queueDepth(type).catch(() => undefined);
        if (depth) deps.metrics.queueDepth(type, depth.ready);
      }
    }, deps.catalogueIntervalMs ?? 15_000);
  catalogueTimer?.unref?.();

  const poll = async (type: string, entry: TypePoll) => {
    if (entry.polling) {
      entry.again = true;
      return;
    }
    entry.polling = true;
    try {
      const depth = await deps.transport.queueDepth(type);
      if (depth) {
        deps.metrics.queueDepth(type, depth.ready);
        // Waiters in acceptance order: those this gateway accepted after one
        // and that still wait are behind it in the queue (FIFO), not ahead.
        let behind = entry.waiters.size;
        const at = now();
        let nextDue = Number.POSITIVE_INFINITY;
        for (const waiter of entry.waiters) {
          const due = waiter.update(depth.ready - --behind, at);
          if (due !== undefined && due < nextDue) nextDue = due;
        }
        if (nextDue !== Number.POSITIVE_INFINITY && types.get(type) === entry) armFirst(type, entry, Math.max(1, nextDue - at));
      }
    } catch (error) {
      deps.log.debug({ type, err: (error as Error).message }, 'could not read a queue depth');
    } finally {
      entry.polling = false;
      if (entry.again && types.get(type) === entry) {
        entry.again = false;
        void poll(type, entry);
      }
    }
  };

  const waiterMethods: Omit<WaiterRecord, WaiterState> = {
    update(this: WaiterRecord, ready, at) {
      if (!this.inQueue) return undefined;
      if (this.position === undefined && at < this.firstDue) return this.firstDue;
      const next = this.position === undefined ? Math.max(0, ready - 1) : Math.min(this.position, Math.max(0, ready - 1));
      if (next === this.position) return undefined;
      this.position = next;
      this.emit(next, this.token);
      return undefined;
    },
    stop(this: WaiterRecord) {
      const poller = this.poller;
      if (!poller.waiters.delete(this) || poller.waiters.size > 0) return;
      clearInterval(poller.timer);
      clearTimeout(poller.first);
      if (types.get(this.type) === poller) types.delete(this.type);
    },
    queued(this: WaiterRecord) {
      const poller = this.poller;
      if (this.inQueue || !poller.waiters.has(this)) return;
      this.inQueue = true;
      this.firstDue = now() + firstAfterMs;
      // One timer per type: a poll that finds younger waiters re-arms it for the oldest of them.
      armFirst(this.type, poller, firstAfterMs);
    },
    answered(this: WaiterRecord, attempt) {
      if (!this.poller.waiters.has(this)) return;
      if (this.measureWait && attempt === 1) deps.metrics.queueWait(this.type, (now() - this.startedAt) / 1000);
      this.stop();
    },
  };

  return {
    watch(type, emit, measureWait, token) {
      let entry = types.get(type);
      if (!entry) {
        const created: TypePoll = {
          waiters: new Set(),
          polling: false,
          again: false,
          first: undefined,
          firstAt: 0,
          timer: setInterval(() => void poll(type, created), deps.intervalMs),
        };
        created.timer.unref?.();
        types.set(type, (entry = created));
      }
      // One record per request on the gateway-wide methods (waiterMethods): no closures of its own (issue 16).
      const waiter: WaiterRecord = Object.create(waiterMethods);
      waiter.type = type;
      waiter.poller = entry;
      waiter.emit = emit;
      waiter.token = token;
      waiter.measureWait = measureWait;
      waiter.startedAt = now();
      waiter.position = undefined;
      waiter.firstDue = Number.POSITIVE_INFINITY;
      // Before its publish is confirmed the request is not in the queue yet: a
      // depth read then would tell it a place ahead of where it lands.
      waiter.inQueue = false;
      entry.waiters.add(waiter);
      return waiter;
    },
    close() {
      clearInterval(catalogueTimer);
      for (const entry of types.values()) {
        clearInterval(entry.timer);
        clearTimeout(entry.first);
      }
      types.clear();
    },
  };
};

/** How often a connection's watches past their deadline are ended (a request's own timer cost more than its watch). */
const EXPIRE_EVERY_MS = 1_000;

/** One connection's waiting requests, by the ids its client chose: `queued` frames on its socket. */
export const socketPositions = (
  positions: QueuePositions,
  emit: (event: string, frame: { id: string; position: number }) => void,
  now: () => number = Date.now,
) => {
  const waiting = new Map<string, { waiter: ReturnType<QueuePositions['watch']>; until: number }>();
  // One emit for every watch of the connection; the watch hands its id back.
  const emitQueued = (position: number, id: string | undefined) => emit(EVENTS.queued, { id: id!, position });
  const end = (id: string) => {
    const entry = waiting.get(id);
    if (!entry) return undefined;
    waiting.delete(id);
    return entry.waiter;
  };
  // One timer per connection while something waits, not one per request:
  // a watch ends within EXPIRE_EVERY_MS after its deadline.
  let expiry: ReturnType<typeof setInterval> | undefined;
  const expire = () => {
    const t = now();
    for (const [id, entry] of waiting) if (entry.until <= t) end(id)?.stop();
    if (waiting.size === 0) {
      clearInterval(expiry);
      expiry = undefined;
    }
  };
  return {
    /** Until its first response, or its deadline (an answer that never comes must not keep a poller alive). */
    watch(id: string, type: string, measureWait: boolean, forMs: number) {
      end(id)?.stop();
      waiting.set(id, { waiter: positions.watch(type, emitQueued, measureWait, id), until: now() + Math.max(0, forMs) });
      if (expiry === undefined) {
        expiry = setInterval(expire, EXPIRE_EVERY_MS);
        expiry.unref?.();
      }
      // Registered before the publish, so a fast answer ends it; counted from the confirm on.
    },
    /** `id` is in its queue (published, or an existing call attached to): its first position is read shortly (FIRST_POSITION_AFTER_MS) if it still waits. */
    queued(id: string) {
      waiting.get(id)?.waiter.queued();
    },
    /** A response for `id` is being relayed: it no longer waits. */
    answered(response: Response) {
      end(response.id)?.answered(response.attempt);
    },
    /** It will not wait after all (refused, or published nowhere). */
    forget(id: string) {
      end(id)?.stop();
    },
    close() {
      for (const id of [...waiting.keys()]) end(id)?.stop();
      clearInterval(expiry);
      expiry = undefined;
    },
  };
};

export type SocketPositions = ReturnType<typeof socketPositions>;
