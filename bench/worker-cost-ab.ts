// Two checkouts' worker code in one process, rounds alternating between
// them: the host's load (other work on the same cores) then falls on both
// alike, where two processes run one after the other each see their own.
// Fast lane, responses through the transport's fast channel onto amqplib's
// Connection#sendMessage (as worker-cost.ts --fast --amqp); --durable: the
// durable lane, each response encoded as codec.ts would (as worker-cost.ts).
//   bun bench/worker-cost-ab.ts --before dir [--after dir] [--durable] [--n 20000] [--c 64] [--rounds 20]
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ConsumeMessage } from 'amqplib';
import { pino } from 'pino';
import type { RequestDelivery, Subscription, Transport, WorkerTransport } from '@warren/transport';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
};
const beforeArg = process.argv.indexOf('--before');
if (beforeArg < 0) throw new Error('--before dir is required');
const afterArg = process.argv.indexOf('--after');
const roots = { before: process.argv[beforeArg + 1]!, after: afterArg < 0 ? join(import.meta.dirname, '..') : process.argv[afterArg + 1]! };
const total = arg('n', 20_000);
const concurrency = arg('c', 64);
const rounds = arg('rounds', 20);
const durable = process.argv.includes('--durable');
const payload = Buffer.from(JSON.stringify({ text: 'x'.repeat(88) }));
const session = 'a'.repeat(22);
const fastReplyTo = 'amq.gen-abcdefghijklmnop';
const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

const setUp = async (root: string) => {
  const { registerHandlers } = (await import(join(root, 'packages/worker/src/index.ts'))) as typeof import('@warren/worker');
  const { topology } = (await import(join(root, 'packages/protocol/src/index.ts'))) as typeof import('@warren/protocol');
  const { decodeRequest, encodeResponse, encodeResponses } = (await import(
    join(root, 'packages/transport/src/amqp/codec.ts')
  )) as typeof import('../packages/transport/src/amqp/codec.ts');
  const { createAckBatcher } = (await import(
    join(root, 'packages/transport/src/amqp/consumer.ts')
  )) as typeof import('../packages/transport/src/amqp/consumer.ts');
  const { createFastChannel } = (await import(
    join(root, 'packages/transport/src/amqp/fast-lane.ts')
  )) as typeof import('../packages/transport/src/amqp/fast-lane.ts');
  const { createResponses } = (await import(
    join(root, 'packages/transport/src/amqp/responses.ts')
  )) as typeof import('../packages/transport/src/amqp/responses.ts');
  const topo = topology('benchwk');
  const replyTo = durable ? topo.replyQueue(session) : fastReplyTo;
  const lib = join(createRequire(join(root, 'package.json')).resolve('amqplib'), '..', 'lib');
  const require = createRequire(import.meta.url);
  const { Channel } = require(join(lib, 'channel_model.js')) as { Channel: new (connection: unknown) => { ch: number } };
  const { Connection } = require(join(lib, 'connection.js')) as { Connection: { prototype: { sendMessage: unknown } } };
  let bytesOut = 0;
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
  const responses = createResponses({
    topo,
    log: pino({ level: 'warn' }),
    publisher: {} as never,
    fastChannel,
    subscriptions: {} as never,
    replyQueueType: undefined,
  });
  // --durable: each response encoded for its message body, the broker's confirm an already-resolved promise.
  const encodeOnly: Pick<WorkerTransport, 'publishResponse' | 'publishResponses'> = {
    publishResponse: async (_s, response) => {
      bytesOut += encodeResponse(response).body.length;
      return 'delivered';
    },
    publishResponses: async (_s, responses) => {
      bytesOut += encodeResponses(responses).body.length;
      return 'delivered';
    },
  };
  let listener: ((delivery: RequestDelivery) => void) | undefined;
  const idle: Subscription = { pause: async () => {}, close: async () => {} };
  const acks = createAckBatcher({ ack: () => {}, nack: () => {} } as never, () => {});
  const lost = new AbortController().signal;
  let acked = 0;
  let onAck: () => void = () => {};
  const transport: WorkerTransport = {
    kind: 'amqp',
    status: () => 'connected',
    onStatus: () => () => {},
    close: async () => {},
    consumeRequests: async (_type, l) => {
      if (durable) listener = l;
      return idle;
    },
    consumeFastRequests: async (_type, l) => {
      if (!durable) listener = l;
      return idle;
    },
    consumeCancels: async () => idle,
    ...(durable ? encodeOnly : responses),
  };
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
    const decoded = decodeRequest(topo, message, { fast: !durable });
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
  await registerHandlers(
    { service: 'bench', transport: transport as Transport, concurrency, announce: false, fast: !durable, handleSignals: false, log: pino({ level: 'warn' }) },
    { echo: (p: unknown) => p },
  );
  const round = (n: number) =>
    new Promise<number>((resolve) => {
      acked = 0;
      let sent = 0;
      const c0 = process.cpuUsage();
      onAck = () => {
        if (sent < n) {
          sent += 1;
          deliver();
        } else if (acked === n) {
          const c = process.cpuUsage(c0);
          resolve((c.user + c.system) / n);
        }
      };
      for (; sent < Math.min(concurrency, n); sent += 1) deliver();
    });
  return { round, bytes: () => bytesOut };
};

const trees = { before: await setUp(roots.before), after: await setUp(roots.after) };
for (const tree of Object.values(trees)) await tree.round(20_000); // JIT warm-up
const samples: Record<keyof typeof trees, number[]> = { before: [], after: [] };
for (let r = 0; r < rounds; r += 1) {
  const order = r % 2 === 0 ? (['before', 'after'] as const) : (['after', 'before'] as const);
  for (const name of order) samples[name].push(await trees[name].round(total));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ratios = samples.after.map((a, i) => a / samples.before[i]!);
console.log(
  `µs CPU per ${durable ? 'durable' : 'fast'} request, ${rounds} alternating rounds of ${total}: before median ${median(samples.before).toFixed(2)} (min ${Math.min(...samples.before).toFixed(2)}), after median ${median(samples.after).toFixed(2)} (min ${Math.min(...samples.after).toFixed(2)}); after/before per round: median ${median(ratios).toFixed(3)}, lower in ${ratios.filter((x) => x < 1).length} of ${rounds}`,
);
process.exit(0);
