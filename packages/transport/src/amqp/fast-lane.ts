// The fast lane on RabbitMQ (docs/decisions/0016-fast-lane.md): a plain
// (unconfirmed) channel per connection for fast requests and fast responses,
// and per gateway process one exclusive, server-named reply queue read with
// auto-ack. Nothing here waits for the broker: a lost message is ended by the
// caller's deadline.
import type { Channel, ChannelModel, ConsumeMessage, Options } from 'amqplib';
import { HEADERS, type Topology } from '@warren/protocol';
import type { FastLane, FastLaneListener, Log, RequestMessage, Subscription } from '../types.ts';
import { createChannelHolder, unavailable } from './channel-holder.ts';
import { decodeRequest, decodeResponses, encodeRequest } from './codec.ts';
import type { ConnectionManager } from './connection.ts';
import { durableConsumer } from './consumer.ts';
import { publishPlainOn } from './publish-frames.ts';

export interface FastChannel {
  attach(model: ChannelModel): Promise<void>;
  detach(): void;
  /** Writes without a confirm; resolves once written (after a `drain` when the socket buffer was full). A text body goes as its UTF-8. */
  publish(exchange: string, routingKey: string, body: Buffer | string, properties: Options.Publish): Promise<void>;
  /** Every message the broker returns on this channel (mandatory fast requests with no queue). */
  onReturn(listener: (message: ConsumeMessage) => void): void;
}

const WRITTEN: Promise<void> = Promise.resolve();

export const createFastChannel = (log: Log): FastChannel => {
  const returns: Array<(message: ConsumeMessage) => void> = [];
  const holder = createChannelHolder(
    (model) => model.createChannel(),
    'fast',
    log,
    (message) => {
      for (const listener of returns) listener(message);
    },
  );
  const write = (ch: Channel, exchange: string, routingKey: string, body: Buffer | string, properties: Options.Publish) => {
    let ok: boolean;
    try {
      ok = publishPlainOn(ch, exchange, routingKey, body, properties);
    } catch (error) {
      throw unavailable((error as Error).message);
    }
    holder.wrote(ch, ok);
  };
  return {
    attach: holder.attach,
    detach: holder.detach,
    // Not async: with a channel and no drain awaited (almost always) the
    // message is written now and a settled promise returned, with no async
    // frame or awaited promise per fast request and per fast response.
    publish(exchange, routingKey, body, properties) {
      const ch = holder.current();
      if (ch === undefined) return holder.ready().then((later) => write(later, exchange, routingKey, body, properties));
      try {
        write(ch, exchange, routingKey, body, properties);
      } catch (error) {
        return Promise.reject(error);
      }
      return WRITTEN;
    },
    onReturn(listener) {
      returns.push(listener);
    },
  };
};

interface FastLaneDeps {
  manager: ConnectionManager;
  topo: Topology;
  log: Log;
  channel: FastChannel;
  awaitConnected(): Promise<void>;
  track(subscription: Subscription): Subscription;
}

export const openFastLane = async (deps: FastLaneDeps, listener: FastLaneListener): Promise<FastLane> => {
  const { manager, topo, log, channel } = deps;
  // The reply queue of the current connection: a new one after each reconnect
  // (an exclusive queue dies with its connection, and with it the answers in it).
  let reply: { model: ChannelModel; queue: string } | undefined;
  const subscription = deps.track(
    await durableConsumer(manager, log, 'fast-replies', async (ch, restart) => {
      const model = manager.current();
      const { queue } = await ch.assertQueue('', { exclusive: true, durable: false, autoDelete: true });
      const { consumerTag } = await ch.consume(
        queue,
        (message) => {
          if (!message) return restart();
          const session = message.properties.headers?.[HEADERS.session];
          if (typeof session !== 'string') return log.warn({ queue }, 'dropping a fast response without a session');
          const { responses, errors } = decodeResponses(message);
          for (const error of errors) log.warn({ queue, error }, 'dropping a malformed fast response');
          const bytes = Math.ceil(message.content.length / Math.max(1, responses.length));
          for (const response of responses) listener.response(session, response, bytes);
        },
        { noAck: true },
      );
      if (model) reply = { model, queue };
      return consumerTag;
    }),
  );
  channel.onReturn((message) => {
    const decoded = decodeRequest(topo, message, { fast: true });
    if (!decoded.ok) return;
    const { session, id, type } = decoded.value.request;
    listener.returned({ session, id, type });
  });
  const send = (request: RequestMessage): Promise<void> => {
    const current = reply !== undefined && reply.model === manager.current() ? reply.queue : undefined;
    if (current === undefined) return Promise.reject(unavailable('the fast reply queue is not ready'));
    // Non-persistent and unconfirmed; mandatory, so a type nobody serves fast is returned (NO_HANDLER).
    let encoded: ReturnType<typeof encodeRequest>;
    try {
      encoded = encodeRequest(topo, request, Date.now(), current);
    } catch (error) {
      return Promise.reject(error);
    }
    return channel.publish('', topo.fastQueue(request.type), encoded.body, encoded.properties);
  };
  return {
    // Connected (almost always): no wait, so no async step before the write.
    publish: (request: RequestMessage) => (manager.status() === 'connected' ? send(request) : deps.awaitConnected().then(() => send(request))),
    close: () => subscription.close(),
  };
};
