// Retained calls in memory (docs/decisions/0014-retained-calls.md), with the
// observable semantics of their RabbitMQ queues: nothing is acked, one
// active reader (x-single-active-consumer) that reads from the first
// response, ready responses bounded (x-overflow reject-publish), and the
// queue deleted retentionMs after its last reader left (x-expires).
import { CALL_RETENTION, createWarrenError, type Response } from '@warren/protocol';
import type { CallListener, ResponseOutcome, Subscription, Transport } from '../types.ts';
import { copy } from './queues.ts';

/**
 * A retained call's queue: nothing is ever acked, so it is the list of its
 * responses; the first reader is the active one (x-single-active-consumer),
 * and every reader starts from the first response.
 */
export interface CallQueue {
  responses: Response[];
  bytes: number;
  readers: CallListener[];
  retentionMs: number;
  /** Deletes the queue retentionMs after its last reader left (x-expires). */
  expiry?: ReturnType<typeof setTimeout>;
}

/** `<ns>.call.<call>` → call; a namespace has no dots, so the first one ends it. */
export const callOfReplyTo = (replyTo: string | undefined): string | undefined => {
  const match = replyTo === undefined ? null : /^[^.]+\.call\.(.+)$/.exec(replyTo);
  return match?.[1];
};

interface CallDeps {
  /** The broker's call queues, by call. */
  calls: Map<string, CallQueue>;
  /** Throws BROKER_UNAVAILABLE once the transport is closed. */
  ensureOpen(): void;
  track(subscription: Subscription): Subscription;
}

type CallMethods = Pick<Transport, 'claimCall' | 'callExists' | 'dropCall' | 'consumeCall'>;

export const memoryCalls = ({ calls, ensureOpen, track }: CallDeps) => {
  const armExpiry = (call: string, queue: CallQueue) => {
    clearTimeout(queue.expiry);
    if (queue.readers.length > 0) return;
    queue.expiry = setTimeout(() => {
      if (calls.get(call) === queue && queue.readers.length === 0) calls.delete(call);
    }, queue.retentionMs);
    queue.expiry.unref?.();
  };

  /** A response published to a call's queue: kept, and handed to the active reader. */
  const publishToCall = (call: string, response: Response): ResponseOutcome => {
    const queue = calls.get(call);
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
  };

  const methods: CallMethods = {
    async claimCall(call, { retentionMs }) {
      ensureOpen();
      // One event-loop turn decides it: no lock needed in one process.
      if (calls.has(call)) return 'existing';
      const queue: CallQueue = { responses: [], bytes: 0, readers: [], retentionMs };
      calls.set(call, queue);
      armExpiry(call, queue);
      return 'new';
    },

    async callExists(call) {
      ensureOpen();
      return calls.has(call);
    },

    async dropCall(call) {
      ensureOpen();
      const queue = calls.get(call);
      if (!queue) return;
      calls.delete(call);
      clearTimeout(queue.expiry);
      // Like a deleted queue: its consumers are cancelled.
      for (const reader of queue.readers) queueMicrotask(() => reader.gone());
      queue.readers = [];
    },

    async consumeCall(call, listener) {
      ensureOpen();
      const queue = calls.get(call);
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
        if (calls.get(call) === queue) armExpiry(call, queue);
      };
      return track({ pause: leave, close: leave });
    },
  };
  return { ...methods, publishToCall };
};
