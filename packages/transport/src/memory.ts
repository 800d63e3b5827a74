// In-process broker with the observable semantics of the RabbitMQ transport:
// unroutable types reject with NO_HANDLER, queues outlive their consumers,
// competing consumers honour prefetch, unsettled messages go back to the
// front of their queue (attempt + 1 for requests), expired requests are
// dropped at delivery, and every message is copied through JSON as on a wire.
// The queues are in memory/queues.ts and the retained calls in
// memory/calls.ts; here are the broker's state and the transport over it.
import { setMaxListeners } from 'node:events';
import { CANCEL_STREAM, createWarrenError, parseAnnouncement, type Announcement, type CancelMessage, type Response } from '@warren/protocol';
import type {
  BrokerStatus,
  CancelListener,
  DeadLetter,
  ConsumeOptions,
  RequestDelivery,
  RequestMessage,
  ResponseListener,
  Subscription,
  Transport,
} from './types.ts';
import { callOfReplyTo, memoryCalls, type CallQueue } from './memory/calls.ts';
import { copy, createQueue, pump, subscribe, type Envelope, type Queue } from './memory/queues.ts';

export interface MemoryBroker {
  /** Requests waiting in a type's queue (not yet delivered). */
  depth(type: string): number;
  /** How many requests were published, all types. */
  published(): number;
  /** @internal */ readonly state: BrokerState;
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
  const calls = memoryCalls({ calls: state.calls, ensureOpen, track });
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

    claimCall: calls.claimCall,
    callExists: calls.callExists,
    dropCall: calls.dropCall,
    consumeCall: calls.consumeCall,

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
      if (call !== undefined) return calls.publishToCall(call, response);
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
