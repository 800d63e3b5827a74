// Requests on RabbitMQ: published by gateways to the requests exchange,
// consumed by workers from the type's durable queue (or its fast queue), and
// the ones the broker dead-letters handed back to gateways. Each consumer
// here also decides what becomes of a message it cannot run (refused,
// dropped at most once, or logged).
import { createWarrenError, type Topology } from '@warren/protocol';
import type { Channel } from 'amqplib';
import type { Log, RequestDelivery, Transport } from '../types.ts';
import { decodeDeadLetter, decodeRequest, encodeRefusal, encodeRequest } from './codec.ts';
import { declareExchanges } from './declare-topology.ts';
import { publishMandatory, type Publisher } from './publisher.ts';
import type { Subscriptions } from './subscriptions.ts';

interface RequestDeps {
  topo: Topology;
  log: Log;
  publisher: Publisher;
  subscriptions: Subscriptions;
  /** Resolves when connected (waiting a bounded time during a reconnect), else throws BROKER_UNAVAILABLE. */
  awaitConnected(): Promise<void>;
}

type Requests = Required<Pick<Transport, 'publishRequest' | 'consumeRequests' | 'consumeFastRequests' | 'consumeDeadLetters'>>;

export const createRequests = ({ topo, log, publisher, subscriptions, awaitConnected }: RequestDeps): Requests => ({
  async publishRequest(request) {
    await awaitConnected();
    // This transport's reply consumers read batch replies: say so to workers (an argument, not a copy of the request).
    const { body, properties } = encodeRequest(topo, request, Date.now(), undefined, true);
    const outcome = await publisher.publish(topo.requestsExchange, request.type, body, properties);
    if (outcome === 'returned') throw createWarrenError('NO_HANDLER', `No worker serves request type "${request.type}".`);
  },

  async consumeRequests(type, listener, { prefetch }) {
    const queue = topo.requestQueue(type);
    const declare = async (ch: Channel) => {
      await declareExchanges(ch, topo);
      await ch.assertQueue(queue, { durable: true, arguments: topo.requestQueueArguments() });
      await ch.bindQueue(queue, topo.requestsExchange, type);
    };
    return subscriptions.ackedConsumer(queue, prefetch, declare, (message, settle, lost) => {
      const decoded = decodeRequest(topo, message);
      if (!decoded.ok) {
        log.warn({ queue, error: decoded.error.message }, 'dropping a malformed request');
        // Answered INVALID_REQUEST where it says where to (packages/protocol/spec/v1/protocol.md,
        // worker behaviour 3), so its caller is not left waiting for a timeout.
        const refusal = encodeRefusal(message, decoded.error);
        if (!refusal) return settle('ack');
        void publishMandatory(publisher, refusal.replyTo, refusal.body, refusal.properties)
          .then((outcome) => {
            if (outcome === 'unroutable') log.warn({ queue, replyTo: refusal.replyTo }, 'the answer to a malformed request has no recipient');
          })
          .catch((error: Error) => log.warn({ queue, err: error.message }, 'could not answer a malformed request'))
          .finally(() => settle('ack'));
        return;
      }
      const delivery: RequestDelivery = {
        ...decoded.value,
        ack: () => settle('ack'),
        requeue: () => settle('requeue'),
        lost,
      };
      listener(delivery);
    });
  },

  async consumeFastRequests(type, listener, { prefetch }) {
    const queue = topo.fastQueue(type);
    const declare = async (ch: Channel) => {
      await ch.assertQueue(queue, { durable: true, arguments: topo.fastQueueArguments() });
    };
    // Manual acks with prefetch = concurrency, not auto-ack: RabbitMQ ignores
    // prefetch for auto-ack consumers, so a worker would take the whole queue.
    return subscriptions.ackedConsumer(queue, prefetch, declare, (message, settle, lost) => {
      // At most once: a redelivered fast request may have run (its worker died or handed it back).
      if (message.fields.redelivered) {
        log.info({ queue, requestId: message.properties.correlationId }, 'dropping a redelivered fast request (at most once)');
        return settle('ack');
      }
      const decoded = decodeRequest(topo, message, { fast: true });
      if (!decoded.ok) {
        log.warn({ queue, error: decoded.error.message }, 'dropping a malformed fast request');
        return settle('ack');
      }
      listener({ ...decoded.value, ack: () => settle('ack'), requeue: () => settle('requeue'), lost });
    });
  },

  async consumeDeadLetters(listener) {
    const queue = topo.deadLetterQueue;
    const declare = async (ch: Channel) => {
      await declareExchanges(ch, topo);
      await ch.assertQueue(queue, { durable: true, arguments: topo.deadLetterQueueArguments() });
      await ch.bindQueue(queue, topo.deadLetterExchange, '');
    };
    return subscriptions.ackedConsumer(queue, 64, declare, (message, settle) => {
      const dead = decodeDeadLetter(topo, message);
      if (!dead) {
        log.warn({ queue }, 'dropping a dead letter that is not a Warren request');
        return settle('ack');
      }
      listener(dead, () => settle('ack'));
    });
  },
});
