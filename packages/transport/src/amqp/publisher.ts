// One confirm-mode channel per connection for everything a process publishes.
// A publish resolves when the broker confirms it, reports 'returned' when a
// mandatory message had no queue (basic.return arrives before basic.ack), and
// rejects when the channel dies first. Writes wait for 'drain' when the
// socket buffer is full, so a fast producer cannot grow memory without bound.
import { randomUUID } from 'node:crypto';
import type { ChannelModel, ConfirmChannel, Options } from 'amqplib';
import { createWarrenError } from '@warren/protocol';
import type { Log } from '../types.ts';

type PublishOutcome = 'confirmed' | 'returned';

interface Publisher {
  publish(exchange: string, routingKey: string, body: Buffer, properties: Options.Publish): Promise<PublishOutcome>;
  /** Opens a fresh channel on a new connection. */
  attach(model: ChannelModel): Promise<void>;
  detach(): void;
}

const unavailable = (why: string) => createWarrenError('BROKER_UNAVAILABLE', `The message broker is unavailable: ${why}.`);

export const createPublisher = (log: Log): Publisher => {
  let channel: ConfirmChannel | null = null;
  let drained: Promise<void> | null = null;
  const returned = new Set<string>();

  return {
    async attach(model) {
      const ch = await model.createConfirmChannel();
      ch.on('return', (message) => {
        const id = message.properties.messageId;
        if (typeof id === 'string') returned.add(id);
      });
      ch.on('error', (error: Error) => log.warn({ err: error.message }, 'publish channel error'));
      ch.on('close', () => {
        if (channel === ch) channel = null;
      });
      channel = ch;
      drained = null;
    },
    detach() {
      channel = null;
    },
    async publish(exchange, routingKey, body, properties) {
      while (drained) await drained;
      const ch = channel;
      if (!ch) throw unavailable('not connected');
      const messageId = properties.messageId ?? randomUUID();
      return new Promise<PublishOutcome>((resolve, reject) => {
        let ok: boolean;
        try {
          ok = ch.publish(exchange, routingKey, body, { ...properties, messageId }, (error) => {
            const wasReturned = returned.delete(messageId);
            if (error) reject(unavailable('the broker did not confirm the message'));
            else resolve(wasReturned ? 'returned' : 'confirmed');
          });
        } catch (error) {
          reject(unavailable((error as Error).message));
          return;
        }
        if (!ok && !drained) {
          drained = new Promise<void>((done) => {
            const release = () => {
              drained = null;
              ch.off('drain', release);
              ch.off('close', release);
              done();
            };
            ch.on('drain', release);
            ch.on('close', release);
          });
        }
      });
    },
  };
};
