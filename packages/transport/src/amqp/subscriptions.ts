// The consumers the transport opens, in two shapes over durableConsumer:
// acked (a durable queue, prefetch, a once-only settle) and broadcast (an
// exclusive queue per process, no acks). Each is tracked, so that closing
// the transport closes them all.
import { parseJson, type Parsed, type Topology } from '@warren/protocol';
import { setMaxListeners } from 'node:events';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Log, Subscription } from '../types.ts';
import type { ConnectionManager } from './connection.ts';
import { createAckBatcher, durableConsumer, type AckBatcher } from './consumer.ts';
import { declareExchanges } from './declare-topology.ts';

type Settle = (action: 'ack' | 'requeue') => void;

// Settling a message on a channel that has since closed is meaningless
// (the broker requeues it) and would throw; guard every settle once.
const settler = (acks: AckBatcher, message: ConsumeMessage, lost: AbortSignal): Settle => {
  acks.delivered(message);
  let done = false;
  return (action) => {
    if (done || lost.aborted) return;
    done = true;
    if (action === 'ack') acks.ack(message);
    else acks.requeue(message);
  };
};

const lostSignal = (ch: Channel) => {
  const controller = new AbortController();
  // Every delivery in flight on the channel listens: that is use, not a leak.
  setMaxListeners(0, controller.signal);
  ch.once('close', () => controller.abort());
  return controller.signal;
};

export const createSubscriptions = (manager: ConnectionManager, topo: Topology, log: Log) => {
  const subscriptions = new Set<Subscription>();

  const track = (subscription: Subscription): Subscription => {
    subscriptions.add(subscription);
    return {
      active: () => subscription.active?.() ?? true,
      pause: () => subscription.pause(),
      async close() {
        subscriptions.delete(subscription);
        await subscription.close();
      },
    };
  };
  const ackBatcher = (ch: Channel) => createAckBatcher(ch, (error) => log.warn({ err: (error as Error).message }, 'could not settle a message'));

  /**
   * A durable consumer with manual acks: declares its queue, sets prefetch,
   * and hands each delivery over with a once-only settle that is a no-op
   * after the channel died (the broker requeues then).
   */
  const ackedConsumer = async (
    queue: string,
    prefetch: number,
    declare: (ch: Channel) => Promise<void>,
    onMessage: (message: ConsumeMessage, settle: Settle, lost: AbortSignal) => void,
  ) =>
    track(
      await durableConsumer(manager, log, queue, async (ch, restart) => {
        await declare(ch);
        await ch.prefetch(prefetch);
        const lost = lostSignal(ch);
        const acks = ackBatcher(ch);
        const { consumerTag } = await ch.consume(queue, (message) => {
          if (!message) return restart();
          onMessage(message, settler(acks, message, lost), lost);
        });
        return consumerTag;
      }),
    );

  /**
   * A broadcast consumer: this process's own exclusive queue on `exchange`,
   * gone with the connection; every process bound this way sees every message.
   */
  const broadcastConsumer = async <T>(
    name: string,
    exchange: string,
    keys: readonly string[],
    parse: (value: unknown) => Parsed<T>,
    what: string,
    listener: (value: T) => void,
  ) =>
    track(
      await durableConsumer(manager, log, name, async (ch, restart) => {
        await declareExchanges(ch, topo);
        const { queue } = await ch.assertQueue('', { exclusive: true, durable: false, autoDelete: true });
        for (const key of keys) await ch.bindQueue(queue, exchange, key);
        const { consumerTag } = await ch.consume(
          queue,
          (message) => {
            if (!message) return restart();
            const body = parseJson(message.content);
            const parsed = body.ok ? parse(body.value) : body;
            if (!parsed.ok) return log.warn({ error: parsed.error.message }, `dropping a malformed ${what}`);
            listener(parsed.value);
          },
          { noAck: true },
        );
        return consumerTag;
      }),
    );

  const closeAll = async () => {
    await Promise.all([...subscriptions].map((s) => s.close()));
    subscriptions.clear();
  };

  return { track, ackBatcher, ackedConsumer, broadcastConsumer, closeAll };
};

export type Subscriptions = ReturnType<typeof createSubscriptions>;
