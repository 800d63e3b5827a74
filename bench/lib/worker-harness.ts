// The worker SDK of one checkout in this process, without a broker:
// registerHandlers behind a fake transport that decodes each delivery as
// the AMQP transport does (codec.ts), settles it through the same ack
// batcher, and publishes each response either encoded for its message body
// (the broker's confirm an already-resolved promise) or, with `amqp`,
// through the transport's own publishing onto a real amqplib channel whose
// connection encodes frames (decision 0019): fast responses on the fast
// channel, durable ones through the confirming publisher (publisher.ts) on
// a confirm channel, confirmed as RabbitMQ does, by one basic.ack with
// `multiple` for all published in a loop turn. Closed loop at
// `concurrency` in flight, like the bench's clients. Used by worker-cost.ts
// (one tree) and worker-cost-ab.ts (two trees, rounds alternating).
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ConsumeMessage } from 'amqplib';
import { pino } from 'pino';
import type { RequestDelivery, Subscription, Transport, WorkerTransport } from '@warren/transport';

type Responses = Pick<WorkerTransport, 'publishResponse' | 'publishResponses'>;

const payload = Buffer.from(JSON.stringify({ text: 'x'.repeat(88) })); // ≈ 100 bytes, as echo-100B
const session = 'a'.repeat(22);
// The gateway sends a traceparent with every request.
const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

export const workerHarness = async (root: string, { fast, amqp, concurrency }: { fast: boolean; amqp: boolean; concurrency: number }) => {
  const { registerHandlers } = (await import(join(root, 'packages/worker/src/index.ts'))) as typeof import('@warren/worker');
  const { topology } = (await import(join(root, 'packages/protocol/src/index.ts'))) as typeof import('@warren/protocol');
  const { decodeRequest, encodeResponse, encodeResponses } = (await import(
    join(root, 'packages/transport/src/amqp/codec.ts')
  )) as typeof import('../../packages/transport/src/amqp/codec.ts');
  const { createAckBatcher } = (await import(
    join(root, 'packages/transport/src/amqp/consumer.ts')
  )) as typeof import('../../packages/transport/src/amqp/consumer.ts');
  const topo = topology('benchwk');
  const replyTo = fast ? 'amq.gen-abcdefghijklmnop' : topo.replyQueue(session);
  let bytesOut = 0;

  /** The transport's responses (fast, or durable and confirmed) on an amqplib channel whose connection encodes frames and counts their bytes. */
  const amqpResponses = async (): Promise<Responses> => {
    const { createFastChannel } = (await import(
      join(root, 'packages/transport/src/amqp/fast-lane.ts')
    )) as typeof import('../../packages/transport/src/amqp/fast-lane.ts');
    const { createResponses } = (await import(
      join(root, 'packages/transport/src/amqp/responses.ts')
    )) as typeof import('../../packages/transport/src/amqp/responses.ts');
    const lib = join(createRequire(join(root, 'package.json')).resolve('amqplib'), '..', 'lib');
    const require = createRequire(import.meta.url);
    const { Channel, ConfirmChannel } = require(join(lib, 'channel_model.js')) as {
      Channel: new (connection: unknown) => { ch: number };
      ConfirmChannel: new (
        connection: unknown,
      ) => {
        ch: number;
        lwm: number;
        unconfirmed: unknown[];
        pushConfirmCallback(callback: unknown): void;
        emit(event: string, fields: object): void;
      };
    };
    const { Connection } = require(join(lib, 'connection.js')) as { Connection: { prototype: { sendMessage: unknown } } };
    // sendMessage inherited, as on amqplib's Connection (an own one marks a closed connection).
    const connection = Object.assign(Object.create({ sendMessage: Connection.prototype.sendMessage }) as object, {
      frameMax: 131072,
      sentSinceLastCheck: false,
      channels: [
        null,
        {
          buffer: {
            write: (frame: Buffer) => {
              bytesOut += frame.length;
              return true;
            },
          },
        },
      ],
    });
    const fastChannel = createFastChannel(pino({ level: 'warn' }));
    await fastChannel.attach({
      createChannel: async () => {
        const ch = new Channel(connection);
        ch.ch = 1;
        return ch;
      },
    } as never);
    const { createPublisher } = (await import(
      join(root, 'packages/transport/src/amqp/publisher.ts')
    )) as typeof import('../../packages/transport/src/amqp/publisher.ts');
    const publisher = createPublisher(pino({ level: 'warn' }));
    await publisher.attach({
      createConfirmChannel: async () => {
        const ch = new ConfirmChannel(connection);
        ch.ch = 1;
        // The broker's confirms: every message published in a loop turn, by one basic.ack with `multiple`.
        let scheduled = false;
        const confirm = () => {
          scheduled = false;
          if (ch.unconfirmed.length > 0) ch.emit('ack', { deliveryTag: ch.lwm + ch.unconfirmed.length - 1, multiple: true });
        };
        const push = ch.pushConfirmCallback.bind(ch);
        ch.pushConfirmCallback = (callback) => {
          if (!scheduled) {
            scheduled = true;
            setImmediate(confirm);
          }
          push(callback);
        };
        return ch;
      },
    } as never);
    return createResponses({ topo, log: pino({ level: 'warn' }), publisher, fastChannel, subscriptions: {} as never, replyQueueType: undefined });
  };

  /** Each response encoded as codec.ts would for its message body. */
  const encodeOnly: Responses = {
    publishResponse: async (s, response, _replyTo, how) => {
      bytesOut += encodeResponse(response, how?.fast ? s : undefined).body.length;
      return 'delivered';
    },
    publishResponses: async (s, responses, _replyTo, how) => {
      bytesOut += encodeResponses(responses, how?.fast ? s : undefined).body.length;
      return 'delivered';
    },
  };

  let listener: ((delivery: RequestDelivery) => void) | undefined;
  const idle: Subscription = { pause: async () => {}, close: async () => {} };
  const transport: WorkerTransport = {
    kind: 'amqp',
    status: () => 'connected',
    onStatus: () => () => {},
    close: async () => {},
    consumeRequests: async (_type, l) => {
      if (!fast) listener = l;
      return idle;
    },
    consumeFastRequests: async (_type, l) => {
      if (fast) listener = l;
      return idle;
    },
    consumeCancels: async () => idle,
    ...(amqp ? await amqpResponses() : encodeOnly),
  };

  const acks = createAckBatcher({ ack: () => {}, nack: () => {} } as never, () => {});
  const lost = new AbortController().signal;
  let acked = 0;
  let onAck: () => void = () => {};
  let tag = 0;
  const deliver = () => {
    tag += 1;
    const message = {
      content: payload,
      fields: { deliveryTag: tag, redelivered: false, routingKey: 'echo', exchange: '', consumerTag: 'c' },
      properties: {
        correlationId: `req-${tag}`,
        replyTo,
        type: 'echo',
        headers: { 'x-warren-version': 1, 'x-warren-session': session, 'x-warren-deadline': Date.now() + 30_000, 'x-warren-batch': 1, traceparent },
      },
    } as unknown as ConsumeMessage;
    const decoded = decodeRequest(topo, message, { fast });
    if (!decoded.ok) throw new Error(decoded.error.message);
    acks.delivered(message);
    let done = false;
    listener!({
      ...decoded.value,
      ack: () => {
        if (done) return;
        done = true;
        acks.ack(message);
        acked += 1;
        onAck();
      },
      requeue: () => {
        throw new Error('requeued');
      },
      lost,
    });
  };

  // registerHandlers uses only the worker's side of a transport.
  const handle = await registerHandlers(
    { service: 'bench', transport: transport as Transport, concurrency, announce: false, fast, handleSignals: false, log: pino({ level: 'warn' }) },
    { echo: (p: unknown) => p },
  );

  /** `n` requests, `concurrency` in flight: the CPU and wall time they took. */
  const round = (n: number) =>
    new Promise<{ cpuUs: number; wallMs: number }>((resolve) => {
      acked = 0;
      let sent = 0;
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      onAck = () => {
        if (sent < n) {
          sent += 1;
          deliver();
        } else if (acked === n) {
          const c = process.cpuUsage(c0);
          resolve({ cpuUs: c.user + c.system, wallMs: performance.now() - t0 });
        }
      };
      for (; sent < Math.min(concurrency, n); sent += 1) deliver();
    });
  return { round, bytes: () => bytesOut, close: () => handle.close() };
};
