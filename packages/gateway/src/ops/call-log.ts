// What this gateway saw of each call it accepted, hop by hop: accepted,
// published (the broker confirmed), picked up (by which worker, which
// attempt, from the worker's stamp on seq 0), first chunk, result or error.
// Bounded: the newest calls are kept, calls still running are never evicted
// before their deadline. Feeds the caller's own timeline (GET /calls/:id)
// and the operations console (in-flight calls, recent failures).
//
// It hears of calls through recordingTransport: the gateway's transport with
// the console's ears on it. Every request published, every response relayed,
// every cancel and dead letter passes through the call log (and the
// dead-letter store) on its way, and nothing else changes. One wrapper
// instead of hooks in the request pipeline, the reply relay and the
// dead-letter relay.
import { isFinal, isWarrenError, requestKey, type Response, type WireError, type WorkerHop } from '@warren/protocol';
import type { DeadLetter, RequestMessage, Transport } from '@warren/transport';
import { type CallRecord, entryOf, pushHop, RANK } from './call-record.ts';

type HopName = 'accepted' | 'published' | 'picked-up' | 'first-chunk' | 'result' | 'error' | 'cancel-sent';

export interface CallHop {
  hop: HopName;
  /** Epoch ms. `picked-up` is the worker's clock (its startedAt) when it said. */
  at: number;
  attempt?: number;
  outcome?: string;
  worker?: WorkerHop;
}

export interface CallEntry {
  id: string;
  type: string;
  session: string;
  traceparent: string | undefined;
  /** The caller's principal `sub`, if any. */
  principal: string | undefined;
  acceptedAt: number;
  deadline: number | undefined;
  attempt: number;
  /** Set once answered (or refused by the broker): 'ok' or the error code. */
  outcome: string | undefined;
  finishedAt: number | undefined;
  error: WireError | undefined;
  hops: CallHop[];
}

interface CallStart {
  id: string;
  type: string;
  session: string;
  traceparent?: string | undefined;
  principal?: Record<string, unknown> | undefined;
  deadline?: number | undefined;
}

export interface CallLog {
  accepted(call: CallStart): void;
  published(session: string, id: string): void;
  refused(session: string, id: string, error: WireError): void;
  response(session: string, response: Response): void;
  cancelSent(session: string, id: string): void;
  get(session: string, id: string): CallEntry | undefined;
  /** `id` of `session` names the retained call `call` (recorded as session = id = call): `get` finds it under either. */
  alias(session: string, id: string, call: string): void;
  /** Any session's call with this id (operators). */
  find(id: string): CallEntry | undefined;
  inFlight(): CallEntry[];
  /** Newest first. */
  failures(): CallEntry[];
}

const GRACE_MS = 5_000;
/** Not the caller's doing: these are what an operator looks at. */
const NOT_FAILURES = new Set(['CANCELLED']);

export const traceIdOf = (traceparent: string | undefined): string | undefined => traceparent?.split('-')[1];

export const createCallLog = ({
  maxCalls = 2_000,
  maxFailures = 100,
  now = Date.now,
}: {
  maxCalls?: number;
  maxFailures?: number;
  now?: () => number;
} = {}): CallLog => {
  const calls = new Map<string, CallRecord>(); // insertion order = age
  /** A client's (session, id) → the retained call it is attached to, by requestKey. */
  const aliases = new Map<string, string>();
  const failures: CallRecord[] = [];

  const finish = (entry: CallRecord, outcome: string, at: number, error?: WireError) => {
    if (entry.outcome !== undefined) return;
    entry.outcome = outcome;
    entry.finishedAt = at;
    entry.error = error;
    if (outcome !== 'ok' && !NOT_FAILURES.has(outcome)) {
      failures.unshift(entry);
      failures.length = Math.min(failures.length, maxFailures);
    }
  };
  /** The call's end hop (result, or error with its code), in a field when it comes in order. */
  const end = (entry: CallRecord, hop: 'result' | 'error', at: number, attempt: number | undefined, outcome: string) => {
    if (entry.hops === undefined && entry.stage < RANK[hop]) {
      entry.stage = RANK[hop];
      entry.endHop = hop;
      entry.endAt = at;
      entry.endAttempt = attempt;
      entry.endOutcome = outcome;
    } else pushHop(entry, attempt === undefined ? { hop, at, outcome } : { hop, at, attempt, outcome });
  };

  // Evicts down to a little below the bound, so the scan from the oldest runs
  // once per maxCalls/16 calls instead of once per call: on Bun a Map's
  // iteration restarted at its head on every accepted call was ~2 % of the
  // gateway's CPU under fast-lane echo (issue 16).
  const evictTo = maxCalls - Math.max(1, Math.floor(maxCalls / 16));
  const evict = () => {
    const t = now();
    for (const [k, e] of calls) {
      if (calls.size <= evictTo) break;
      // A running call stays until its deadline (plus a grace) has passed.
      if (e.outcome === undefined && (e.deadline ?? e.acceptedAt + 60_000) + GRACE_MS > t) continue;
      calls.delete(k);
    }
  };

  return {
    accepted(call) {
      const key = requestKey(call.session, call.id);
      calls.delete(key);
      const sub = call.principal?.sub;
      const entry: CallRecord = {
        id: call.id,
        type: call.type,
        session: call.session,
        traceparent: call.traceparent,
        principal: typeof sub === 'string' ? sub : undefined,
        acceptedAt: now(),
        deadline: call.deadline,
        attempt: 0,
        outcome: undefined,
        finishedAt: undefined,
        error: undefined,
        stage: 0,
        publishedAt: undefined,
        pickedAt: undefined,
        pickedAttempt: 0,
        pickedWorker: undefined,
        chunkAt: undefined,
        chunkAttempt: 0,
        endHop: undefined,
        endAt: 0,
        endAttempt: undefined,
        endOutcome: '',
        hops: undefined,
      };
      calls.set(key, entry);
      if (calls.size > maxCalls) evict();
    },
    published(session, id) {
      const entry = calls.get(requestKey(session, id));
      if (!entry) return;
      const t = now();
      if (entry.hops === undefined && entry.stage < RANK.published) {
        entry.stage = RANK.published;
        entry.publishedAt = t;
      } else pushHop(entry, { hop: 'published', at: t });
    },
    refused(session, id, error) {
      const entry = calls.get(requestKey(session, id));
      if (!entry) return;
      const t = now();
      end(entry, 'error', t, undefined, error.code);
      finish(entry, error.code, t, error);
    },
    response(session, response) {
      const entry = calls.get(requestKey(session, response.id));
      if (!entry || entry.outcome !== undefined) return;
      const t = now();
      if (response.seq === 0) {
        entry.attempt = Math.max(entry.attempt, response.attempt);
        // A dead letter's verdict (attempt = deliveries + 1) comes from the gateway, not a worker.
        if (response.worker !== undefined || response.kind === 'chunk' || response.kind === 'result') {
          const at = typeof response.worker?.startedAt === 'number' ? response.worker.startedAt : t;
          if (entry.hops === undefined && entry.stage < RANK['picked-up']) {
            entry.stage = RANK['picked-up'];
            entry.pickedAt = at;
            entry.pickedAttempt = response.attempt;
            entry.pickedWorker = response.worker;
          } else {
            const hop: CallHop = { hop: 'picked-up', at, attempt: response.attempt };
            // Assigned, not spread in: a conditional spread per response costs more (issue 16).
            if (response.worker) hop.worker = response.worker;
            pushHop(entry, hop);
          }
        }
        if (response.kind === 'chunk') {
          if (entry.hops === undefined && entry.stage < RANK['first-chunk']) {
            entry.stage = RANK['first-chunk'];
            entry.chunkAt = t;
            entry.chunkAttempt = response.attempt;
          } else pushHop(entry, { hop: 'first-chunk', at: t, attempt: response.attempt });
        }
      }
      if (response.kind === 'result') {
        end(entry, 'result', t, response.attempt, 'ok');
        finish(entry, 'ok', t);
      } else if (response.kind === 'error') {
        end(entry, 'error', t, response.attempt, response.error.code);
        finish(entry, response.error.code, t, response.error);
      }
    },
    cancelSent(session, id) {
      const entry = calls.get(requestKey(session, id));
      if (entry) pushHop(entry, { hop: 'cancel-sent', at: now() });
    },
    get: (session, id) => {
      const key = requestKey(session, id);
      const entry = calls.get(key) ?? calls.get(aliases.get(key) ?? '');
      return entry === undefined ? undefined : entryOf(entry);
    },
    alias(session, id, call) {
      const key = requestKey(session, id);
      aliases.delete(key);
      aliases.set(key, requestKey(call, call));
      // Bounded like the log itself: the oldest aliases go first.
      for (const old of aliases.keys()) {
        if (aliases.size <= maxCalls) break;
        aliases.delete(old);
      }
    },
    find(id) {
      let found: CallRecord | undefined;
      for (const e of calls.values()) if (e.id === id) found = e; // the newest wins
      return found === undefined ? undefined : entryOf(found);
    },
    inFlight() {
      const t = now();
      const out: CallEntry[] = [];
      for (const e of calls.values()) if (e.outcome === undefined && (e.deadline === undefined || e.deadline + GRACE_MS > t)) out.push(entryOf(e));
      return out;
    },
    failures: () => failures.map(entryOf),
  };
};

export const recordingTransport = (inner: Transport, calls: CallLog, onDeadLetter: (dead: DeadLetter) => void): Transport => {
  /** The last response recorded of each retained call being read. */
  const recorded = new Map<string, { attempt: number; seq: number }>();
  /** Accepted now, then published or refused as the publish settles: the durable path and the fast lane alike. */
  const recordPublish = (request: RequestMessage, publish: (request: RequestMessage) => Promise<void>): Promise<void> => {
    calls.accepted(request);
    const published = publish(request);
    // A side branch, and the very promise handed back: recording adds no tick to the caller's await.
    published.then(
      () => calls.published(request.session, request.id),
      (error: unknown) =>
        calls.refused(
          request.session,
          request.id,
          isWarrenError(error) ? { code: error.code, message: error.message } : { code: 'INTERNAL', message: 'publish failed' },
        ),
    );
    return published;
  };
  return {
    ...inner,
    // Methods read `this`-free closures on both transports; status and kind stay live through these.
    status: () => inner.status(),
    onStatus: (listener) => inner.onStatus(listener),
    publishRequest: (request) => recordPublish(request, inner.publishRequest),
    consumeReplies(session, listener, options) {
      return inner.consumeReplies(
        session,
        // `bytes` passed on: without it the relay sizes each response by stringifying it again.
        (response, settle, bytes) => {
          calls.response(session, response);
          listener(response, settle, bytes);
        },
        options,
      );
    },
    consumeCall(call, listener) {
      // A retained call's request went out as session = id = call: its hops
      // are recorded under the call, each response once (a re-attach replays them all).
      return inner.consumeCall(call, {
        response(response) {
          const last = recorded.get(call);
          if (!last || response.attempt > last.attempt || (response.attempt === last.attempt && response.seq > last.seq)) {
            calls.response(call, response);
            if (isFinal(response)) recorded.delete(call);
            else recorded.set(call, { attempt: response.attempt, seq: response.seq });
          }
          listener.response(response);
        },
        gone() {
          recorded.delete(call);
          listener.gone();
        },
      });
    },
    // The fast lane's calls and answers are recorded like the durable path's (only when the transport has one).
    ...(inner.openFastLane === undefined
      ? {}
      : {
          async openFastLane(listener) {
            const lane = await inner.openFastLane!({
              response(session, response, bytes) {
                calls.response(session, response);
                listener.response(session, response, bytes);
              },
              returned(request) {
                calls.refused(request.session, request.id, { code: 'NO_HANDLER', message: `No worker serves request type "${request.type}".` });
                listener.returned(request);
              },
            });
            return {
              publish: (request) => recordPublish(request, lane.publish),
              close: () => lane.close(),
            };
          },
        }),
    async publishCancel(type, cancel) {
      await inner.publishCancel(type, cancel);
      calls.cancelSent(cancel.session, cancel.id);
    },
    consumeDeadLetters(listener) {
      return inner.consumeDeadLetters((dead, settle) => {
        onDeadLetter(dead);
        listener(dead, settle);
      });
    },
  };
};
