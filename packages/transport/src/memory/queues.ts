// The in-memory broker's queues: competing consumers that honour prefetch,
// asynchronous delivery, unsettled messages given back to the front in
// order, expired requests dropped at delivery, and a delivery limit that
// dead-letters. Every queue of the memory transport (requests, replies,
// dead letters) is one of these; retained calls are not (calls.ts).
import { REQUEST_QUEUE_DELIVERY_LIMIT } from '@warren/protocol';
import type { RequestMessage, Subscription } from '../types.ts';

export interface Envelope<T> {
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

export interface Queue<T> {
  messages: Envelope<T>[];
  consumers: Consumer<T>[];
  next: number;
  /** Request queues only: like x-delivery-limit + x-dead-letter-exchange. */
  deadLetter?: (envelope: Envelope<T>, reason: string) => void;
}

/** What a queue asks of its broker: the time, to drop expired requests. */
interface Clock {
  now(): number;
}

export const createQueue = <T>(deadLetter?: Queue<T>['deadLetter']): Queue<T> =>
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

/** Every message is copied through JSON, as on a wire. */
export const copy = <T>(value: T): T => (value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T));

const isExpired = (clock: Clock, envelope: Envelope<unknown>): boolean => {
  const body = envelope.body as Partial<RequestMessage>;
  return typeof body.deadline === 'number' && body.deadline <= clock.now();
};

// Deliver asynchronously, as a socket would, so callers never re-enter.
export const pump = <T>(clock: Clock, queue: Queue<T>): void => {
  queueMicrotask(() => {
    while (queue.messages.length > 0) {
      const free = queue.consumers.filter((c) => c.unsettled.size < c.prefetch);
      if (free.length === 0) return;
      const consumer = free[queue.next++ % free.length]!;
      const envelope = queue.messages.shift()!;
      if (isExpired(clock, envelope)) {
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
        pump(clock, queue);
      });
    }
  });
};

export const subscribe = <T>(clock: Clock, queue: Queue<T>, consumer: Consumer<T>): Subscription => {
  queue.consumers.push(consumer);
  pump(clock, queue);
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
      pump(clock, queue);
    },
  };
};
