// In-process broker with the observable semantics of the RabbitMQ transport:
// unroutable types reject with NO_HANDLER, queues outlive their consumers,
// competing consumers honour prefetch, unsettled messages go back to the
// front of their queue (attempt + 1 for requests), expired requests are
// dropped at delivery, and every message is copied through JSON as on a wire.
import { setMaxListeners } from 'node:events';
import {
  CALL_RETENTION,
  CANCEL_STREAM,
  createWarrenError,
  parseAnnouncement,
  REQUEST_QUEUE_DELIVERY_LIMIT,
  type Announcement,
  type CancelMessage,
  type Response,
} from '@warren/protocol';
import type {
  BrokerStatus,
  CallListener,
  CancelListener,
  DeadLetter,
  ConsumeOptions,
  RequestDelivery,
  RequestMessage,
  ResponseListener,
  Subscription,
  Transport,
} from './types.ts';

interface Envelope<T> {
  body: T;
  deliveries: number;
}

interface Consumer<T> {
  prefetch: number;
  unsettled: Set<Envelope<T>>;
  /** Aborted when the consumer closes with these deliveries unsettled. */
  lost: AbortController;
  deliver(envelope: Envelope<T>, settle: (requeue: boolean) => void): void;
}

interface Queue<T> {
  messages: Envelope<T>[];
  consumers: Consumer<T>[];
  next: number;
  /** Request queues only: like x-delivery-limit + x-dead-letter-exchange. */
  deadLetter?: (envelope: Envelope<T>, reason: string) => void;
}

const createQueue = <T>(deadLetter?: Queue<T>['deadLetter']): Queue<T> =>
  deadLetter ? { messages: [], consumers: [], next: 0, deadLetter } : { messages: [], consumers: [], next: 0 };

// Puts unsettled messages back, in order, unless they used up their deliveries.
const giveBack = <T>(queue: Queue<T>, envelopes: Envelope<T>[]) => {
  const keep = envelopes.filter((envelope) => {
    if (queue.deadLetter && envelope.deliveries > REQUEST_QUEUE_DELIVERY_LIMIT) {
      queue.deadLetter(envelope, 'delivery_limit');
      return false;
    }
    return true;
  });
  queue.messages.unshift(...keep);
};

const copy = <T>(value: T): T => (value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T));

export interface MemoryBroker {
  /** Requests waiting in a type's queue (not yet delivered). */
  depth(type: string): number;
  /** How many requests were published, all types. */
  published(): number;
  /** @internal */ readonly state: BrokerState;
}

/**
 * A retained call's queue: nothing is ever acked, so it is the list of its
 * responses; the first reader is the active one (x-single-active-consumer),
 * and every reader starts from the first response.
 */
interface CallQueue {
  responses: Response[];
  bytes: number;
  readers: CallListener[];
  retentionMs: number;
  /** Deletes the queue retentionMs after its last reader left (x-expires). */
  expiry?: ReturnType<typeof setTimeout>;
}

interface BrokerState {
  requests: Map<string, Queue<RequestMessage>>;
  calls: Map<string, CallQueue>;
  dead: Queue<DeadLetter>;
  replies: Map<string, Queue<Response>>;
  cancels: Map<string, Set<CancelListener>>;
  /** The cancel stream: every cancel, kept for consumers that come later (bounded like ns.cancels, by age and count). */
  cancelLog: { type: string; cancel: CancelMessage; at: number }[];
  /** Registry consumers: a fanout, each gets a copy; nothing is kept for late ones. */
  announcements: Set<(message: Announcement) => void>;
  published: number;
  now: () => number;
}

export const createMemoryBroker = (options: { now?: () => number } = {}): MemoryBroker => {
  const state: BrokerState = {
    requests: new Map(),
    calls: new Map(),
    dead: createQueue(),
    replies: new Map(),
    cancels: new Map(),
    cancelLog: [],
    announcements: new Set(),
    published: 0,
    now: options.now ?? Date.now,
  };
  return {
    state,
    depth: (type) => state.requests.get(type)?.messages.length ?? 0,
    published: () => state.published,
  };
};

const isExpired = (state: BrokerState, envelope: Envelope<unknown>): boolean => {
  const body = envelope.body as Partial<RequestMessage>;
  return typeof body.deadline === 'number' && body.deadline <= state.now();
};

// Deliver asynchronously, as a socket would, so callers never re-enter.
const pump = <T>(state: BrokerState, queue: Queue<T>): void => {
  queueMicrotask(() => {
    while (queue.messages.length > 0) {
      const free = queue.consumers.filter((c) => c.unsettled.size < c.prefetch);
      if (free.length === 0) return;
      const consumer = free[queue.next++ % free.length]!;
      const envelope = queue.messages.shift()!;
      if (isExpired(state, envelope)) {
        queue.deadLetter?.(envelope, 'expired');
        continue;
      }
      envelope.deliveries += 1;
      consumer.unsettled.add(envelope);
      let settled = false;
      consumer.deliver(envelope, (requeue) => {
        if (settled || !consumer.unsettled.delete(envelope)) return;
        settled = true;
        if (requeue) giveBack(queue, [envelope]);
        pump(state, queue);
      });
    }
  });
};

const subscribe = <T>(state: BrokerState, queue: Queue<T>, consumer: Consumer<T>): Subscription => {
  queue.consumers.push(consumer);
  pump(state, queue);
  return {
    pause: async () => {
      queue.consumers = queue.consumers.filter((c) => c !== consumer);
    },
    close: async () => {
      queue.consumers = queue.consumers.filter((c) => c !== consumer);
      // Like a closed AMQP channel: everything unsettled goes back, in order.
      giveBack(queue, [...consumer.unsettled]);
      consumer.unsettled.clear();
      consumer.lost.abort();
      pump(state, queue);
    },
  };
};

/** `<ns>.call.<call>` → call; a namespace has no dots, so the first one ends it. */
const callOfReplyTo = (replyTo: string | undefined): string | undefined => {
  const match = replyTo === undefined ? null : /^[^.]+\.call\.(.+)$/.exec(replyTo);
  return match?.[1];
};

const armExpiry = (state: BrokerState, call: string, queue: CallQueue) => {
  clearTimeout(queue.expiry);
  if (queue.readers.length > 0) return;
  queue.expiry = setTimeout(() => {
    if (state.calls.get(call) === queue && queue.readers.length === 0) state.calls.delete(call);
  }, queue.retentionMs);
  queue.expiry.unref?.();
};

export const memoryTransport = (broker: MemoryBroker): Transport => {
  const { state } = broker;
  let status: BrokerStatus = 'connected';
  const listeners = new Set<(status: BrokerStatus) => void>();
  const subscriptions = new Set<Subscription>();

  const ensureOpen = () => {
    if (status === 'closed') throw createWarrenError('BROKER_UNAVAILABLE', 'The transport is closed.');
  };
  const track = (subscription: Subscription): Subscription => {
    subscriptions.add(subscription);
    return {
      pause: () => subscription.pause(),
      close: async () => {
        subscriptions.delete(subscription);
        await subscription.close();
      },
    };
  };
  const replyQueue = (session: string) => {
    let queue = state.replies.get(session);
    if (!queue) state.replies.set(session, (queue = createQueue()));
    return queue;
  };

  return {
    kind: 'memory',
    status: () => status,
    onStatus(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async publishRequest(request) {
      ensureOpen();
      const queue = state.requests.get(request.type);
      if (!queue) throw createWarrenError('NO_HANDLER', `No worker serves request type "${request.type}".`);
      state.published += 1;
      // As a broker would: the body is the given payload text when there is one.
      const { payloadJson, ...message } = request;
      queue.messages.push({ body: payloadJson === undefined ? copy(message) : { ...copy(message), payload: JSON.parse(payloadJson) }, deliveries: 0 });
      pump(state, queue);
    },

    async consumeReplies(session, listener: ResponseListener, options) {
      ensureOpen();
      const queue = replyQueue(session);
      return track(
        subscribe(state, queue, {
          prefetch: options.prefetch,
          unsettled: new Set(),
          lost: new AbortController(),
          deliver: (envelope, settle) => listener(copy(envelope.body), () => settle(false)),
        }),
      );
    },

    async publishCancel(type, cancel) {
      ensureOpen();
      const at = state.now();
      const kept = { id: cancel.id, session: cancel.session };
      state.cancelLog.push({ type, cancel: kept, at });
      const cutoff = at - CANCEL_STREAM.memoryTtlMs;
      while (state.cancelLog.length > 0 && (state.cancelLog[0]!.at <= cutoff || state.cancelLog.length > CANCEL_STREAM.memoryMaxEntries)) {
        state.cancelLog.shift();
      }
      for (const listener of state.cancels.get(type) ?? []) queueMicrotask(() => listener(copy(kept), at));
    },

    async claimCall(call, { retentionMs }) {
      ensureOpen();
      // One event-loop turn decides it: no lock needed in one process.
      if (state.calls.has(call)) return 'existing';
      const queue: CallQueue = { responses: [], bytes: 0, readers: [], retentionMs };
      state.calls.set(call, queue);
      armExpiry(state, call, queue);
      return 'new';
    },

    async callExists(call) {
      ensureOpen();
      return state.calls.has(call);
    },

    async dropCall(call) {
      ensureOpen();
      const queue = state.calls.get(call);
      if (!queue) return;
      state.calls.delete(call);
      clearTimeout(queue.expiry);
      // Like a deleted queue: its consumers are cancelled.
      for (const reader of queue.readers) queueMicrotask(() => reader.gone());
      queue.readers = [];
    },

    async consumeCall(call, listener) {
      ensureOpen();
      const queue = state.calls.get(call);
      if (!queue) {
        queueMicrotask(() => listener.gone());
        return { pause: async () => {}, close: async () => {} };
      }
      const reader: CallListener = {
        response: (response) => listener.response(copy(response)),
        gone: () => listener.gone(),
      };
      queue.readers.push(reader);
      clearTimeout(queue.expiry);
      // The active reader (the first) gets everything retained, from the first response.
      if (queue.readers[0] === reader) {
        const retained = [...queue.responses];
        queueMicrotask(() => {
          if (queue.readers[0] === reader) for (const response of retained) reader.response(response);
        });
      }
      const leave = async () => {
        const wasActive = queue.readers[0] === reader;
        queue.readers = queue.readers.filter((r) => r !== reader);
        const next = queue.readers[0];
        // The next waiting reader becomes active and reads from the first response.
        if (wasActive && next) {
          const retained = [...queue.responses];
          queueMicrotask(() => {
            if (queue.readers[0] === next) for (const response of retained) next.response(response);
          });
        }
        if (state.calls.get(call) === queue) armExpiry(state, call, queue);
      };
      return track({ pause: leave, close: leave });
    },

    async queueDepth(type) {
      ensureOpen();
      const queue = state.requests.get(type);
      return queue ? { ready: queue.messages.length, consumers: queue.consumers.length } : undefined;
    },

    async consumeDeadLetters(listener) {
      ensureOpen();
      return track(
        subscribe(state, state.dead, {
          prefetch: 64,
          unsettled: new Set(),
          lost: new AbortController(),
          deliver: (envelope, settle) => listener(copy(envelope.body), () => settle(false)),
        }),
      );
    },

    async consumeRequests(type, listener, options: ConsumeOptions) {
      ensureOpen();
      let queue = state.requests.get(type);
      if (!queue) {
        const dead = (envelope: Envelope<RequestMessage>, reason: string) => {
          const { id, type: t, session } = envelope.body;
          state.dead.messages.push({ body: { id, type: t, session, reason, deliveries: envelope.deliveries, request: copy(envelope.body) }, deliveries: 0 });
          pump(state, state.dead);
        };
        state.requests.set(type, (queue = createQueue(dead)));
      }
      const lost = new AbortController();
      // Every delivery in flight on the consumer listens: that is use, not a leak.
      setMaxListeners(0, lost.signal);
      return track(
        subscribe(state, queue, {
          prefetch: options.prefetch,
          unsettled: new Set(),
          lost,
          deliver: (envelope, settle) => {
            const delivery: RequestDelivery = {
              request: copy(envelope.body),
              attempt: envelope.deliveries,
              ack: () => settle(false),
              requeue: () => settle(true),
              lost: lost.signal,
            };
            listener(delivery);
          },
        }),
      );
    },

    async publishResponse(session, response, replyTo) {
      ensureOpen();
      const call = callOfReplyTo(replyTo);
      if (call !== undefined) {
        const queue = state.calls.get(call);
        if (!queue) return 'unroutable';
        const bytes = Buffer.byteLength(JSON.stringify(response));
        // x-overflow reject-publish: the broker nacks, the publisher fails.
        // RabbitMQ counts ready messages only: what the active reader holds
        // unacked does not count (the gateway bounds that itself).
        const ready = queue.readers.length === 0;
        if (ready && (queue.responses.length >= CALL_RETENTION.maxResponses || queue.bytes + bytes > CALL_RETENTION.maxBytes)) {
          throw createWarrenError('BROKER_UNAVAILABLE', 'The message broker is unavailable: the broker did not confirm the message.');
        }
        queue.responses.push(copy(response));
        queue.bytes += bytes;
        const active = queue.readers[0];
        if (active) {
          const delivered = copy(response);
          queueMicrotask(() => {
            if (queue.readers[0] === active) active.response(delivered);
          });
        }
        return 'delivered';
      }
      // Like a mandatory publish: only a session whose queue was declared (by consuming it) gets answers.
      const queue = state.replies.get(session);
      if (!queue) return 'unroutable';
      queue.messages.push({ body: copy(response), deliveries: 0 });
      pump(state, queue);
      return 'delivered';
    },

    async consumeCancels(types, listener) {
      ensureOpen();
      // Like reading ns.cancels from its first offset up to one's own marker:
      // every cancel kept so far arrives before this resolves.
      const served = new Set(types);
      for (const { type, cancel, at } of state.cancelLog) if (served.has(type)) listener(copy(cancel), at);
      for (const type of types) {
        let set = state.cancels.get(type);
        if (!set) state.cancels.set(type, (set = new Set()));
        set.add(listener);
      }
      const remove = async () => {
        for (const type of types) state.cancels.get(type)?.delete(listener);
      };
      return track({ pause: remove, close: remove });
    },

    async announce(message) {
      ensureOpen();
      // Parsed on the way out as the AMQP consumer parses on the way in, so a
      // malformed message fails the same observable way: it never arrives.
      const parsed = parseAnnouncement(copy(message));
      if (!parsed.ok) return;
      for (const listener of state.announcements) queueMicrotask(() => listener(copy(parsed.value)));
    },

    async consumeAnnouncements(listener) {
      ensureOpen();
      state.announcements.add(listener);
      const remove = async () => {
        state.announcements.delete(listener);
      };
      return track({ pause: remove, close: remove });
    },

    async close() {
      if (status === 'closed') return;
      await Promise.all([...subscriptions].map((s) => s.close()));
      subscriptions.clear();
      status = 'closed';
      for (const listener of listeners) listener(status);
    },
  };
};
