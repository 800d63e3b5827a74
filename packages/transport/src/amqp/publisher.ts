// One confirm-mode channel per connection for everything a process publishes.
// A publish resolves when the broker confirms it, reports 'returned' when a
// mandatory message had no queue (basic.return arrives before basic.ack), and
// rejects when the channel dies first. Writes wait for 'drain' when the
// socket buffer is full, so a fast producer cannot grow memory without bound.
import { randomUUID } from 'node:crypto';
import type { ChannelModel, ConfirmChannel, Options } from 'amqplib';
import type { Log, ResponseOutcome } from '../types.ts';
import { createChannelHolder, unavailable } from './channel-holder.ts';
import { publishOn } from './publish-frames.ts';

type PublishOutcome = 'confirmed' | 'returned';

export interface Publisher {
  /**
   * `properties`: made for this publish; the publisher sets its `messageId` when it has none (no copy per message).
   * A text `body` is sent as its UTF-8, written straight into the frames when small (publish-frames.ts).
   */
  publish(exchange: string, routingKey: string, body: Buffer | string, properties: Options.Publish): Promise<PublishOutcome>;
  /** Opens a fresh channel on a new connection. */
  attach(model: ChannelModel): Promise<void>;
  detach(): void;
}

export const createPublisher = (log: Log): Publisher => {
  const returned = new Set<string>();
  const holder = createChannelHolder(
    (model) => model.createConfirmChannel(),
    'publish',
    log,
    (message) => {
      const id = message.properties.messageId;
      if (typeof id === 'string') returned.add(id);
    },
  );

  /** Writes on `ch`; settles with the broker's confirm, or the return that came before it. */
  const write = (ch: ConfirmChannel, exchange: string, routingKey: string, body: Buffer | string, properties: Options.Publish) => {
    const messageId = (properties.messageId ??= randomUUID());
    return new Promise<PublishOutcome>((resolve, reject) => {
      let ok: boolean;
      try {
        // A small message's frames are encoded here, not by amqplib (publish-frames.ts).
        ok = publishOn(ch, exchange, routingKey, body, properties, (error) => {
          const wasReturned = returned.delete(messageId);
          if (error) reject(unavailable('the broker did not confirm the message'));
          else resolve(wasReturned ? 'returned' : 'confirmed');
        });
      } catch (error) {
        reject(unavailable((error as Error).message));
        return;
      }
      holder.wrote(ch, ok);
    });
  };

  return {
    attach: holder.attach,
    detach: holder.detach,
    // Not async: with the channel there and not draining (almost always)
    // the promise of the confirm is the only one made, with no async frame
    // around it (issue 16, the durable worker's publish).
    publish(exchange, routingKey, body, properties) {
      const ch = holder.current();
      return ch !== undefined
        ? write(ch, exchange, routingKey, body, properties)
        : holder.ready().then((later) => write(later, exchange, routingKey, body, properties));
    },
  };
};

const outcomeOf = (published: PublishOutcome): ResponseOutcome => (published === 'returned' ? 'unroutable' : 'delivered');

/**
 * Responses are mandatory: one no queue takes comes back instead of
 * vanishing. `properties` as for publish (set here, not copied). Not async:
 * one promise on the publish's, not an async frame awaiting it.
 */
export const publishMandatory = (publisher: Publisher, routingKey: string, body: Buffer | string, properties: Options.Publish): Promise<ResponseOutcome> => {
  properties.mandatory = true;
  try {
    return publisher.publish('', routingKey, body, properties).then(outcomeOf);
  } catch (error) {
    return Promise.reject(error);
  }
};
