// Plays the gateway on the broker itself, to reach what the real gateway
// never sends (a payload it would refuse, an expired deadline, a body that is
// not JSON, a cancel before the request) and to read each reply message with
// its AMQP properties.
import { randomBytes } from 'node:crypto';
import { connect, type ChannelModel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import { parseJson, parseResponse, topology, type Response } from '@warren/protocol';
import { AMQP_URL } from '../support/rabbit.ts';
import { waitUntil } from './harness.ts';

export interface Reply {
  response: Response;
  /** The reply message's AMQP properties, as packages/protocol/spec/v1/protocol.md lays them down. */
  properties: { correlationId: unknown; type: unknown; contentType: unknown; deliveryMode: unknown };
}

export interface DirectRequest {
  id: string;
  type: string;
  /** Raw body; JSON of `payload` when absent. */
  body?: string;
  payload?: unknown;
  headers?: Record<string, unknown>;
}

export interface FastReply extends Reply {
  /** The session the fast reply names in its x-warren-session header. */
  session: unknown;
}

export interface Direct {
  readonly session: string;
  publish(request: DirectRequest): Promise<void>;
  /** As a gateway's fast lane writes it: to `ns.fast.<type>`, non-persistent, answered to this client's server-named queue. */
  publishFast(request: DirectRequest): Promise<void>;
  /** A fast request some consumer took and handed back: it is in its fast queue again, marked redelivered. */
  publishFastRedelivered(request: DirectRequest): Promise<void>;
  /** Every fast reply of `id` up to its final one. */
  fastReplies(id: string, timeoutMs?: number): Promise<FastReply[]>;
  /** Fast replies of `id` so far. */
  fastRepliesNow(id: string): FastReply[];
  /** As the gateway sends a cancel: to `ns.control` for live workers, and appended to the cancel stream for later ones. */
  cancel(type: string, id: string): Promise<void>;
  /** Every reply of `id` up to its final one, each checked against the protocol. */
  replies(id: string, timeoutMs?: number): Promise<Reply[]>;
  close(): Promise<void>;
}

export const directClient = async (namespace: string): Promise<Direct> => {
  const topo = topology(namespace);
  const session = `direct-${randomBytes(4).toString('hex')}`;
  const replyQueue = topo.replyQueue(session);
  const model: ChannelModel = await connect(AMQP_URL);
  const ch: ConfirmChannel = await model.createConfirmChannel();
  await ch.assertQueue(replyQueue, { durable: true, arguments: topo.replyQueueArguments() });
  const seen: Reply[] = [];
  const malformed: string[] = [];
  await ch.consume(
    replyQueue,
    (message: ConsumeMessage | null) => {
      if (!message) return;
      const body = parseJson(message.content);
      const parsed = body.ok ? parseResponse(body.value) : body;
      if (!parsed.ok) malformed.push(`${parsed.error.message}: ${message.content.toString('utf8')}`);
      else {
        const { correlationId, type, contentType, deliveryMode } = message.properties;
        seen.push({ response: parsed.value, properties: { correlationId, type, contentType, deliveryMode } });
      }
    },
    { noAck: true },
  );

  // The fast lane's replies: a server-named exclusive queue, as a gateway's.
  const { queue: fastReplyQueue } = await ch.assertQueue('', { exclusive: true });
  const fastSeen: FastReply[] = [];
  await ch.consume(
    fastReplyQueue,
    (message: ConsumeMessage | null) => {
      if (!message) return;
      const body = parseJson(message.content);
      const parsed = body.ok ? parseResponse(body.value) : body;
      if (!parsed.ok) malformed.push(`${parsed.error.message}: ${message.content.toString('utf8')}`);
      else {
        const { correlationId, type, contentType, deliveryMode, headers } = message.properties;
        fastSeen.push({ response: parsed.value, properties: { correlationId, type, contentType, deliveryMode }, session: headers?.['x-warren-session'] });
      }
    },
    { noAck: true },
  );

  const send = (exchange: string, key: string, body: Buffer, options: object) =>
    new Promise<void>((resolve, reject) => ch.publish(exchange, key, body, options, (error) => (error ? reject(error) : resolve())));

  const publishFast = ({ id, type, body, payload, headers = {} }: DirectRequest) =>
    send('', topo.fastQueue(type), Buffer.from(body ?? JSON.stringify(payload ?? null)), {
      contentType: 'application/json',
      persistent: false,
      correlationId: id,
      replyTo: fastReplyQueue,
      type,
      headers: { 'x-warren-version': 1, 'x-warren-session': session, ...headers },
    });

  return {
    session,
    publish: ({ id, type, body, payload, headers = {} }) =>
      send(topo.requestsExchange, type, Buffer.from(body ?? JSON.stringify(payload ?? null)), {
        contentType: 'application/json',
        persistent: true,
        correlationId: id,
        replyTo: replyQueue,
        type,
        headers: { 'x-warren-version': 1, 'x-warren-session': session, ...headers },
      }),
    publishFast: (request) => publishFast(request),
    async publishFastRedelivered(request) {
      await publishFast(request);
      const taker = await model.createChannel();
      const taken = await new Promise<ConsumeMessage>((resolve) => {
        void taker.consume(topo.fastQueue(request.type), (message) => message && resolve(message), { noAck: false });
      });
      taker.nack(taken, false, true);
      await taker.close();
    },
    async fastReplies(id, timeoutMs = 5000) {
      await waitUntil(
        async () => (fastSeen.some((r) => r.response.id === id && r.response.kind !== 'chunk') ? true : undefined),
        timeoutMs,
        `final fast reply to ${id}`,
      );
      return fastSeen.filter((r) => r.response.id === id);
    },
    fastRepliesNow: (id) => fastSeen.filter((r) => r.response.id === id),
    cancel: async (type, id) => {
      await send(topo.controlExchange, type, Buffer.from(JSON.stringify({ id, session })), { contentType: 'application/json' });
      const record = { id, session, type, at: Date.now() };
      await send('', topo.cancelStream, Buffer.from(JSON.stringify(record)), { contentType: 'application/json', persistent: true, type });
    },
    async replies(id, timeoutMs = 5000) {
      await waitUntil(
        async () => {
          if (malformed.length > 0) throw new Error(`a reply is not a protocol response: ${malformed.join('; ')}`);
          return seen.some((r) => r.response.id === id && r.response.kind !== 'chunk') ? true : undefined;
        },
        timeoutMs,
        `final reply to ${id}`,
      );
      return seen.filter((r) => r.response.id === id);
    },
    async close() {
      await model.close();
    },
  };
};
