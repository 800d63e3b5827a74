// The RabbitMQ implementation of the transport seam (see packages/protocol/spec/v1/protocol.md).
import {
  CANCEL_STREAM,
  createWarrenError,
  parseAnnouncement,
  splitBrokerUrls,
  parseCancelMessage,
  parseJson,
  topology,
  type Parsed,
  type ReplyQueueType,
  type Topology,
} from '@warren/protocol';
import { setMaxListeners } from 'node:events';
import type { Channel, ConsumeMessage, Options } from 'amqplib';
import { silentLog, type Log, type RequestDelivery, type Subscription, type Transport } from '../types.ts';
import { decodeDeadLetter, decodeRequest, decodeResponses, encodeRefusal, encodeRequest, encodeResponse, encodeResponses } from './codec.ts';
import { createCallQueues } from './calls.ts';
import { createConnectionManager, redactUrl, type BackoffOptions } from './connection.ts';
import { createAckBatcher, durableConsumer, type AckBatcher } from './consumer.ts';
import { createPublisher } from './publisher.ts';
import { createFastChannel, openFastLane } from './fast-lane.ts';
import { appendToCancelStream, cancelRecord, cancelStreamReader, declareCancelStream } from './cancel-stream.ts';

export interface AmqpTransportOptions {
  /**
   * e.g. amqp://guest:guest@127.0.0.1:5672; the nodes of a cluster as an
   * array or comma-separated: connections start at a random node and move
   * on to the next when one is down.
   */
  url: string | readonly string[];
  /** Prefix of every broker name. @default 'warren' */
  namespace?: string;
  log?: Log;
  /** @default 10 */
  heartbeatSeconds?: number;
  backoff?: Partial<BackoffOptions>;
  /** How long to wait for the first connection before giving up. @default 5000 */
  connectTimeoutMs?: number;
  /** Shown in the RabbitMQ management UI. @default 'warren' */
  connectionName?: string;
  /**
   * A request or cancel published while the connection is being re-made
   * waits this long for it before failing with BROKER_UNAVAILABLE: a node
   * failover or a missed heartbeat should not fail calls. @default 5000
   */
  publishWaitMs?: number;
  /**
   * Session reply queues: quorum (replicated; survives a node) or classic
   * (one node, cheaper). Every gateway of an app must use the same. @default 'quorum'
   */
  replyQueueType?: ReplyQueueType;
  /** How long a worker waits to read its marker back from the cancel stream. @default CANCEL_STREAM.markerWaitMs */
  cancelMarkerWaitMs?: number;
}

export type AmqpTransport = Transport & { readonly topology: Topology; reconnects(): number };

const declareExchanges = async (ch: Channel, topo: Topology) => {
  await ch.assertExchange(topo.requestsExchange, 'direct', { durable: true });
  await ch.assertExchange(topo.controlExchange, 'direct', { durable: true });
  await ch.assertExchange(topo.deadLetterExchange, 'fanout', { durable: true });
  await ch.assertExchange(topo.registryExchange, 'fanout', { durable: true });
};

export const createAmqpTransport = async (options: AmqpTransportOptions): Promise<AmqpTransport> => {
  const topo = topology(options.namespace);
  const log = options.log ?? silentLog;
  const urls = splitBrokerUrls(options.url);
  if (urls.length === 0) throw createWarrenError('BROKER_UNAVAILABLE', 'No broker URL was given.');
  const publishWaitMs = options.publishWaitMs ?? 5000;
  const connectionName = options.connectionName ?? 'warren';
  const manager = createConnectionManager({
    urls,
    log,
    heartbeatSeconds: options.heartbeatSeconds ?? 10,
    backoff: { initialDelayMs: 100, maxDelayMs: 2500, ...options.backoff },
    connectionName,
  });
  const publisher = createPublisher(log);
  // Fast-lane requests and responses: a plain channel, no confirms (decision 0016).
  const fastChannel = createFastChannel(log);
  const subscriptions = new Set<Subscription>();

  manager.addSetup(async (model) => {
    await publisher.attach(model);
    await fastChannel.attach(model);
    const ch = await model.createChannel();
    await declareExchanges(ch, topo);
    await ch.close();
    // Its own channel: a broker user that may not declare it (or a stream
    // declared with other arguments) costs the cancel stream, not the rest.
    const streamChannel = await model.createChannel();
    streamChannel.on('error', () => {});
    try {
      await declareCancelStream(streamChannel, topo);
      await streamChannel.close();
    } catch (error) {
      log.warn({ err: (error as Error).message, stream: topo.cancelStream }, 'could not declare the cancel stream');
    }
  });
  manager.onStatus((status) => {
    if (status !== 'connected') {
      publisher.detach();
      fastChannel.detach();
    }
  });

  try {
    await manager.ready(options.connectTimeoutMs ?? 5000);
  } catch (error) {
    await manager.close();
    throw createWarrenError('BROKER_UNAVAILABLE', (error as Error).message, { cause: error });
  }

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
  const unreachable = () =>
    createWarrenError('BROKER_UNAVAILABLE', `The message broker (${urls.map(redactUrl).join(', ')}) is unreachable; try again shortly.`);
  const ensureConnected = () => {
    if (manager.status() !== 'connected') throw unreachable();
  };
  /** Waits (bounded) for a connection being re-made instead of failing at once. */
  const awaitConnected = async () => {
    const status = manager.status();
    if (status === 'connected') return;
    if (status === 'closed') throw unreachable();
    await manager.ready(publishWaitMs).catch(() => {
      throw unreachable();
    });
  };
  /** Responses are mandatory: one no queue takes comes back instead of vanishing. */
  const publishMandatory = async (routingKey: string, body: Buffer, properties: Options.Publish) =>
    (await publisher.publish('', routingKey, body, { ...properties, mandatory: true })) === 'returned' ? 'unroutable' : 'delivered';
  // Settling a message on a channel that has since closed is meaningless
  // (the broker requeues it) and would throw; guard every settle once.
  const settler = (acks: AckBatcher, message: ConsumeMessage, lost: AbortSignal) => {
    acks.delivered(message);
    let done = false;
    return (action: 'ack' | 'requeue') => {
      if (done || lost.aborted) return;
      done = true;
      if (action === 'ack') acks.ack(message);
      else acks.requeue(message);
    };
  };
  const redeclareCancelStream = async () => {
    const model = manager.current();
    if (!model) throw unreachable();
    const ch = await model.createChannel();
    ch.on('error', () => {});
    await declareCancelStream(ch, topo);
    await ch.close().catch(() => {});
  };
  const appendCancelRecord = (body: Buffer, properties: Options.Publish) =>
    appendToCancelStream((...args) => publisher.publish(...args), redeclareCancelStream, topo, body, properties);
  const ackBatcher = (ch: Channel) => createAckBatcher(ch, (error) => log.warn({ err: (error as Error).message }, 'could not settle a message'));
  const lostSignal = (ch: Channel) => {
    const controller = new AbortController();
    // Every delivery in flight on the channel listens: that is use, not a leak.
    setMaxListeners(0, controller.signal);
    ch.once('close', () => controller.abort());
    return controller.signal;
  };

  type Settle = ReturnType<typeof settler>;
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

  const calls = createCallQueues({ manager, topo, log, replyQueueType: options.replyQueueType, awaitConnected, track });

  return {
    kind: 'amqp',
    topology: topo,
    status: () => manager.status(),
    onStatus: (listener) => manager.onStatus(listener),
    reconnects: () => manager.reconnects(),

    async publishRequest(request) {
      await awaitConnected();
      // This transport's reply consumers read batch replies: say so to workers.
      const { body, properties } = encodeRequest(topo, { ...request, batchReplies: true });
      const outcome = await publisher.publish(topo.requestsExchange, request.type, body, properties);
      if (outcome === 'returned') throw createWarrenError('NO_HANDLER', `No worker serves request type "${request.type}".`);
    },

    async consumeReplies(session, listener, { prefetch }) {
      const queue = topo.replyQueue(session);
      const declare = async (ch: Channel) => {
        await ch.assertQueue(queue, { durable: true, arguments: topo.replyQueueArguments(options.replyQueueType) });
      };
      return ackedConsumer(queue, prefetch, declare, (message, settle) => {
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

    async publishCancel(type, cancel) {
      await awaitConnected();
      // Live workers hear it on ns.control; the stream keeps it for workers
      // that start later (docs/decisions/0014 §4). Confirmed both, or failed.
      await Promise.all([
        publisher.publish(topo.controlExchange, type, Buffer.from(JSON.stringify({ id: cancel.id, session: cancel.session })), {
          contentType: 'application/json',
        }),
        appendCancelRecord(cancelRecord(type, cancel, Date.now()), { type }),
      ]);
    },

    claimCall: calls.claimCall,
    callExists: calls.callExists,
    dropCall: calls.dropCall,
    consumeCall: calls.consumeCall,
    queueDepth: calls.queueDepth,

    async consumeDeadLetters(listener) {
      const queue = topo.deadLetterQueue;
      const declare = async (ch: Channel) => {
        await declareExchanges(ch, topo);
        await ch.assertQueue(queue, { durable: true, arguments: topo.deadLetterQueueArguments() });
        await ch.bindQueue(queue, topo.deadLetterExchange, '');
      };
      return ackedConsumer(queue, 64, declare, (message, settle) => {
        const dead = decodeDeadLetter(topo, message);
        if (!dead) {
          log.warn({ queue }, 'dropping a dead letter that is not a Warren request');
          return settle('ack');
        }
        listener(dead, () => settle('ack'));
      });
    },

    openFastLane: (listener) => openFastLane({ manager, topo, log, channel: fastChannel, awaitConnected, track }, listener),

    async consumeFastRequests(type, listener, { prefetch }) {
      const queue = topo.fastQueue(type);
      const declare = async (ch: Channel) => {
        await ch.assertQueue(queue, { durable: true, arguments: topo.fastQueueArguments() });
      };
      // Manual acks with prefetch = concurrency, not auto-ack: RabbitMQ ignores
      // prefetch for auto-ack consumers, so a worker would take the whole queue.
      return ackedConsumer(queue, prefetch, declare, (message, settle, lost) => {
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

    async consumeRequests(type, listener, { prefetch }) {
      const queue = topo.requestQueue(type);
      const declare = async (ch: Channel) => {
        await declareExchanges(ch, topo);
        await ch.assertQueue(queue, { durable: true, arguments: topo.requestQueueArguments() });
        await ch.bindQueue(queue, topo.requestsExchange, type);
      };
      return ackedConsumer(queue, prefetch, declare, (message, settle, lost) => {
        const decoded = decodeRequest(topo, message);
        if (!decoded.ok) {
          log.warn({ queue, error: decoded.error.message }, 'dropping a malformed request');
          // Answered INVALID_REQUEST where it says where to (packages/protocol/spec/v1/protocol.md,
          // worker behaviour 3), so its caller is not left waiting for a timeout.
          const refusal = encodeRefusal(message, decoded.error);
          if (!refusal) return settle('ack');
          void publishMandatory(refusal.replyTo, refusal.body, refusal.properties)
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

    async publishResponse(session, response, replyTo, { fast = false } = {}) {
      // No status check: during a reconnect, consumers deliver before the
      // status flips to 'connected', and their answers must go out. The
      // publisher itself rejects when it has no channel.
      if (fast && replyTo !== undefined) {
        const { body, properties } = encodeResponse(response, session);
        await fastChannel.publish('', replyTo, body, properties);
        return 'delivered';
      }
      const { body, properties } = encodeResponse(response);
      return publishMandatory(replyTo ?? topo.replyQueue(session), body, properties);
    },

    async publishResponses(session, responses, replyTo, { fast = false } = {}) {
      if (fast && replyTo !== undefined) {
        const { body, properties } = encodeResponses(responses, session);
        await fastChannel.publish('', replyTo, body, properties);
        return 'delivered';
      }
      const { body, properties } = encodeResponses(responses);
      return publishMandatory(replyTo ?? topo.replyQueue(session), body, properties);
    },

    async consumeCancels(types, listener, { instance = connectionName } = {}) {
      const name = `${topo.controlExchange}:${types.join(',')}`;
      const live = await broadcastConsumer(name, topo.controlExchange, types, parseCancelMessage, 'cancel', (cancel) => listener(cancel));
      const served = new Set(types);
      // Read from the first offset on every (re)start: cheap (bounded by the
      // stream's retention) and the only way to learn what was sent meanwhile.
      // The manager runs setups in order, so after a reconnect the request
      // consumers (registered later) wait for this one's marker too.
      const stream = track(
        await durableConsumer(manager, log, `${topo.cancelStream}:${types.join(',')}`, async (ch, restart) => {
          await declareCancelStream(ch, topo);
          await ch.prefetch(CANCEL_STREAM.prefetch);
          const reader = cancelStreamReader(
            { acks: ackBatcher(ch), log, append: appendCancelRecord, markerWaitMs: options.cancelMarkerWaitMs },
            served,
            instance,
            listener,
          );
          const { consumerTag } = await ch.consume(
            topo.cancelStream,
            (message) => {
              if (!message) return restart();
              reader.onMessage(message);
            },
            { arguments: { 'x-stream-offset': 'first' } },
          );
          await reader.caughtUp();
          return consumerTag;
        }),
      );
      return {
        active: () => (live.active?.() ?? true) && (stream.active?.() ?? true),
        pause: async () => {
          await Promise.all([live.pause(), stream.pause()]);
        },
        close: async () => {
          await Promise.all([live.close(), stream.close()]);
        },
      };
    },

    async announce(message) {
      ensureConnected();
      await publisher.publish(topo.registryExchange, '', Buffer.from(JSON.stringify(message)), {
        contentType: 'application/json',
        type: message.kind,
        // A heartbeat is stale once the next one is due; never let one linger in a slow consumer's queue.
        ...(message.kind === 'announce' ? { expiration: String(message.ttlMs) } : {}),
      });
    },

    async consumeAnnouncements(listener) {
      return broadcastConsumer(topo.registryExchange, topo.registryExchange, [''], parseAnnouncement, 'registry message', listener);
    },

    async close() {
      await Promise.all([...subscriptions].map((s) => s.close()));
      subscriptions.clear();
      await manager.close();
    },
  };
};
