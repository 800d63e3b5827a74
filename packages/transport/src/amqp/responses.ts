// Responses on RabbitMQ: workers publish them (one or a batch per message)
// to the session's reply queue, mandatory and confirmed, or on the fast
// lane's plain channel; gateways read a session's reply queue and settle a
// batch message once every response in it was settled.
import { MESSAGE_TYPES, type ReplyQueueType, type Topology } from '@warren/protocol';
import type { Channel, Options } from 'amqplib';
import type { Log, ResponseOutcome, Transport } from '../types.ts';
import { decodeResponses, encodeResponsePayload, encodeResponsesPayload } from './codec.ts';
import { DATA_BYTES_FROM, decodeWithDataBytes } from './data-bytes.ts';
import type { FastChannel } from './fast-lane.ts';
import { publishMandatory, type Publisher } from './publisher.ts';
import type { Subscriptions } from './subscriptions.ts';

interface ResponseDeps {
  topo: Topology;
  log: Log;
  publisher: Publisher;
  fastChannel: FastChannel;
  subscriptions: Subscriptions;
  replyQueueType: ReplyQueueType | undefined;
}

/** A small body stays text: the publisher writes its UTF-8 straight into the frames (no Buffer of its own per response). */
type Encoded = { body: Buffer | string; properties: Options.Publish };
type Responses = Required<Pick<Transport, 'consumeReplies' | 'publishResponse' | 'publishResponses'>>;

const delivered = (): ResponseOutcome => 'delivered';

export const createResponses = ({ topo, log, publisher, fastChannel, subscriptions, replyQueueType }: ResponseDeps): Responses => {
  /**
   * A fast response goes to its caller's own reply queue on the plain
   * channel, naming its session (its body as text: encodeResponsePayload); not
   * async, as the channel's write is settled at once almost always.
   */
  const publishFast = (replyTo: string, encode: () => Encoded): Promise<ResponseOutcome> => {
    try {
      const { body, properties } = encode();
      return fastChannel.publish('', replyTo, body, properties).then(delivered);
    } catch (error) {
      return Promise.reject(error);
    }
  };
  /**
   * Any other to the session's queue, mandatory. No status check: during a
   * reconnect, consumers deliver before the status flips to 'connected', and
   * their answers must go out. The publisher itself rejects when it has no
   * channel. Not async: the publish's promise is returned as it is, where an
   * async function wrapped it in one more and took extra turns to adopt it.
   */
  const publish = (session: string, replyTo: string | undefined, encode: () => Encoded): Promise<ResponseOutcome> => {
    try {
      const { body, properties } = encode();
      return publishMandatory(publisher, replyTo ?? topo.replyQueue(session), body, properties);
    } catch (error) {
      return Promise.reject(error);
    }
  };

  return {
    async consumeReplies(session, listener, { prefetch, dataBytes = false }) {
      const queue = topo.replyQueue(session);
      const declare = async (ch: Channel) => {
        await ch.assertQueue(queue, { durable: true, arguments: topo.replyQueueArguments(replyQueueType) });
      };
      return subscriptions.ackedConsumer(queue, prefetch, declare, (message, settle) => {
        // A large lone response for a client that reads data as bytes: its data stays unparsed (data-bytes.ts).
        const kept =
          dataBytes && message.content.length >= DATA_BYTES_FROM && message.properties.type !== MESSAGE_TYPES.batch
            ? decodeWithDataBytes(message.content)
            : undefined;
        if (kept !== undefined) return listener(kept, () => settle('ack'), message.content.length);
        const { responses, errors } = decodeResponses(message);
        for (const error of errors) log.warn({ queue, error }, 'dropping a malformed response');
        if (responses.length === 0) return settle('ack');
        // A batch message is settled once every response in it was.
        let unsettled = responses.length;
        const bytes = Math.ceil(message.content.length / responses.length);
        for (const response of responses) {
          let done = false;
          listener(
            response,
            () => {
              if (done) return;
              done = true;
              if (--unsettled === 0) settle('ack');
            },
            bytes,
          );
        }
      });
    },

    publishResponse: (session, response, replyTo, how) =>
      how?.fast === true && replyTo !== undefined
        ? publishFast(replyTo, () => encodeResponsePayload(response, session))
        : publish(session, replyTo, () => encodeResponsePayload(response)),
    publishResponses: (session, responses, replyTo, how) =>
      how?.fast === true && replyTo !== undefined
        ? publishFast(replyTo, () => encodeResponsesPayload(responses, session))
        : publish(session, replyTo, () => encodeResponsesPayload(responses)),
  };
};
