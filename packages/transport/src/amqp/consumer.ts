// A consumer that outlives connections: started on every (re)connect, and
// restarted with backoff when only its channel dies (queue deleted, a
// precondition failure) while the connection stays up. Its deliveries are
// settled through an ack batcher (createAckBatcher, below).
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { Log, Subscription } from '../types.ts';
import { backoffDelay, type ConnectionManager } from './connection.ts';

/** Sets the channel up and starts consuming; returns the consumer tag. */
type StartConsumer = (channel: Channel, restart: () => void) => Promise<string>;

export const durableConsumer = async (manager: ConnectionManager, log: Log, name: string, start: StartConsumer): Promise<Subscription> => {
  let closed = false;
  let paused = false;
  let channel: Channel | null = null;
  let consumerTag: string | null = null;
  let failures = 0;
  let retry: ReturnType<typeof setTimeout> | undefined;

  let openedOn: ChannelModel | null = null;
  const open = async (model: ChannelModel) => {
    // One consumer per connection: a channel retry and a reconnect setup can race.
    if (closed || paused || openedOn === model) return;
    openedOn = model;
    const ch = await model.createChannel();
    channel = ch;
    ch.on('error', (error: Error) => log.warn({ consumer: name, err: error.message }, 'consumer channel error'));
    const restart = () => {
      if (closed || paused || channel !== ch) return;
      channel = null;
      consumerTag = null;
      if (openedOn === model) openedOn = null;
      void ch.close().catch(() => {});
      // Only the channel died: come back on the same connection after a pause.
      // If the connection died too, the manager's reconnect setup reopens it.
      clearTimeout(retry);
      retry = setTimeout(
        () => {
          if (manager.current() !== model) return;
          void open(model).catch((error) => log.error({ consumer: name, err: error }, 'consumer restart failed'));
        },
        backoffDelay(failures++, { initialDelayMs: 200, maxDelayMs: 5000 }),
      );
    };
    ch.on('close', () => {
      if (manager.current() === model) restart();
    });
    try {
      consumerTag = null;
      consumerTag = await start(ch, restart);
      failures = 0;
    } catch (error) {
      log.error({ consumer: name, err: (error as Error).message }, 'consumer setup failed; will retry');
      restart();
    }
  };

  const removeSetup = manager.addSetup(open);
  const model = manager.current();
  if (model) await open(model);

  return {
    active: () => !closed && !paused && channel !== null && consumerTag !== null && openedOn !== null && openedOn === manager.current(),
    async pause() {
      paused = true;
      removeSetup();
      const ch = channel;
      if (ch && consumerTag) await ch.cancel(consumerTag).catch(() => {});
    },
    async close() {
      closed = true;
      clearTimeout(retry);
      removeSetup();
      const ch = channel;
      channel = null;
      // Acks are coalesced on process.nextTick (ack-batcher.ts): let those of
      // work that just finished go out first, or closing the channel would hand
      // an answered request back for a second run.
      await new Promise((resolve) => setImmediate(resolve));
      if (ch) await ch.close().catch(() => {});
    },
  };
};

// Settles one channel's deliveries, coalescing the acks of a tick: when the
// oldest unsettled deliveries are all acked, one basic.ack with `multiple`
// settles them all; an ack behind a still-unsettled delivery goes alone, so
// nothing is ever held back. Same outcome as one ack each, fewer frames for
// RabbitMQ to process.
export interface AckBatcher {
  /** Every delivery, in order, as it arrives. */
  delivered(message: ConsumeMessage): void;
  ack(message: ConsumeMessage): void;
  requeue(message: ConsumeMessage): void;
}

export const createAckBatcher = (ch: Channel, onError: (error: unknown) => void): AckBatcher => {
  // Delivered and not yet settled, by delivery tag; Map order = delivery order.
  const outstanding = new Map<number, ConsumeMessage>();
  const acked = new Set<number>();
  let scheduled = false;

  // The settles take no closure each: try/catch inline (one basic.ack per flush on the common path).
  const ack = (message: ConsumeMessage, multiple: boolean) => {
    try {
      ch.ack(message, multiple);
    } catch (error) {
      onError(error);
    }
  };
  const flush = () => {
    scheduled = false;
    let last: ConsumeMessage | undefined;
    let count = 0;
    for (const [tag, message] of outstanding) {
      if (!acked.has(tag)) break;
      last = message;
      count += 1;
    }
    if (last !== undefined) {
      // `multiple` settles every delivery up to this tag on the channel: all
      // of them are acked here (the loop above stopped at the first that is not).
      ack(last, count > 1);
      const upTo = last.fields.deliveryTag;
      for (const [tag] of outstanding) {
        outstanding.delete(tag);
        acked.delete(tag);
        if (tag === upTo) break;
      }
    }
    // Acked behind a gap: settled now, one by one.
    if (acked.size > 0) {
      for (const tag of acked) {
        const message = outstanding.get(tag);
        outstanding.delete(tag);
        if (message) ack(message, false);
      }
      acked.clear();
    }
  };

  return {
    delivered(message) {
      outstanding.set(message.fields.deliveryTag, message);
    },
    ack(message) {
      const tag = message.fields.deliveryTag;
      if (!outstanding.has(tag)) return;
      acked.add(tag);
      if (!scheduled) {
        scheduled = true;
        process.nextTick(flush);
      }
    },
    requeue(message) {
      const tag = message.fields.deliveryTag;
      if (!outstanding.delete(tag)) return;
      acked.delete(tag);
      try {
        ch.nack(message, false, true);
      } catch (error) {
        onError(error);
      }
    },
  };
};
