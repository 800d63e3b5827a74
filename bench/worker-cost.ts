// The worker's CPU per request, in one process and without a broker: the
// worker SDK (registerHandlers) behind a fake transport that decodes each
// delivery as the AMQP transport does (codec.ts), settles it through the
// same ack batcher, and encodes each response as it would be published,
// with the broker's confirm an already-resolved promise. Closed loop at C
// in flight, like the bench's clients. Used for docs/decisions/0015
// ("The worker (third round)"); run it in two checkouts, alternating:
//   bun bench/worker-cost.ts [--fast] [--amqp] [--root dir] [--n 200000] [--c 64] [--rounds 5]
// --amqp (with --fast): fast responses go through the transport's own
// publish (responses.ts, the fast channel) onto a real amqplib channel,
// encoded into frames by amqplib's Connection#sendMessage up to the socket
// (decision 0019). --root: the worker and transport code of another
// checkout (an A/B "before" tree), run by this harness.
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type { ConsumeMessage } from 'amqplib';
import type { RequestDelivery, Subscription, Transport, WorkerTransport } from '@warren/transport';
import { pino } from 'pino';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
};
const fast = process.argv.includes('--fast');
const viaAmqp = fast && process.argv.includes('--amqp');
const rootArg = process.argv.indexOf('--root');
const root = rootArg < 0 ? join(import.meta.dirname, '..') : process.argv[rootArg + 1]!;
const { registerHandlers } = (await import(join(root, 'packages/worker/src/index.ts'))) as typeof import('@warren/worker');
const { topology } = (await import(join(root, 'packages/protocol/src/index.ts'))) as typeof import('@warren/protocol');
const { decodeRequest, encodeResponse, encodeResponses } = (await import(
  join(root, 'packages/transport/src/amqp/codec.ts')
)) as typeof import('../packages/transport/src/amqp/codec.ts');
const { createAckBatcher } = (await import(
  join(root, 'packages/transport/src/amqp/consumer.ts')
)) as typeof import('../packages/transport/src/amqp/consumer.ts');
const total = arg('n', 200_000);
const concurrency = arg('c', 64);
const rounds = arg('rounds', 5);

const topo = topology('benchwk');
const payload = Buffer.from(JSON.stringify({ text: 'x'.repeat(88) })); // ≈ 100 bytes, as echo-100B
const session = 'a'.repeat(22);
const replyTo = fast ? 'amq.gen-abcdefghijklmnop' : topo.replyQueue(session);

let listener: ((delivery: RequestDelivery) => void) | undefined;
const idle: Subscription = { pause: async () => {}, close: async () => {} };
let acked = 0;
let onAck: () => void = () => {};
const fakeChannel = { ack: () => {}, nack: () => {} } as never;
const acks = createAckBatcher(fakeChannel, () => {});
const lost = new AbortController().signal;
let bytesOut = 0;

/** --amqp: the transport's fast responses on an amqplib channel whose connection encodes frames and counts their bytes. */
const amqpResponses = async (): Promise<Pick<WorkerTransport, 'publishResponse' | 'publishResponses'>> => {
  const { createFastChannel } = (await import(
    join(root, 'packages/transport/src/amqp/fast-lane.ts')
  )) as typeof import('../packages/transport/src/amqp/fast-lane.ts');
  const { createResponses } = (await import(
    join(root, 'packages/transport/src/amqp/responses.ts')
  )) as typeof import('../packages/transport/src/amqp/responses.ts');
  const lib = join(createRequire(join(root, 'package.json')).resolve('amqplib'), '..', 'lib');
  const require = createRequire(import.meta.url);
  const { Channel } = require(join(lib, 'channel_model.js')) as { Channel: new (connection: unknown) => { ch: number } };
  const { Connection } = require(join(lib, 'connection.js')) as { Connection: { prototype: { sendMessage: unknown } } };
  // sendMessage inherited, as on amqplib's Connection (an own one marks a closed connection).
  const connection = Object.assign(Object.create({ sendMessage: Connection.prototype.sendMessage }) as object, {
    frameMax: 131072,
    sentSinceLastCheck: false,
    channels: [null, { buffer: { write: (frame: Buffer) => ((bytesOut += frame.length), true) } }],
  });
  const fastChannel = createFastChannel(pino({ level: 'warn' }));
  await fastChannel.attach({
    createChannel: async () => {
      const ch = new Channel(connection);
      ch.ch = 1;
      return ch;
    },
  } as never);
  return createResponses({ topo, log: pino({ level: 'warn' }), publisher: {} as never, fastChannel, subscriptions: {} as never, replyQueueType: undefined });
};
const viaChannel = viaAmqp ? await amqpResponses() : undefined;

/** Without --amqp: each response encoded as codec.ts would for its message body. */
const encodeOnly: Pick<WorkerTransport, 'publishResponse' | 'publishResponses'> = {
  publishResponse: async (s, response, _replyTo, how) => {
    bytesOut += encodeResponse(response, how?.fast ? s : undefined).body.length;
    return 'delivered';
  },
  publishResponses: async (s, responses, _replyTo, how) => {
    bytesOut += encodeResponses(responses, how?.fast ? s : undefined).body.length;
    return 'delivered';
  },
};

const workerTransport: WorkerTransport = {
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
  ...(viaChannel ?? encodeOnly),
};
// registerHandlers uses only the worker's side of a transport.
const transport = workerTransport as Transport;

// The gateway sends a traceparent with every request.
const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
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
      headers: {
        'x-warren-version': 1,
        'x-warren-session': session,
        'x-warren-deadline': Date.now() + 30_000,
        'x-warren-batch': 1,
        traceparent,
      },
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

const handle = await registerHandlers(
  { service: 'bench', transport, concurrency, announce: false, fast, handleSignals: false, log: pino({ level: 'warn' }) },
  { echo: (p: unknown) => p },
);

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

await round(20_000); // warm-up: JIT
const perRequest: number[] = [];
for (let r = 0; r < rounds; r += 1) {
  const { cpuUs, wallMs } = await round(total);
  perRequest.push(cpuUs / total);
  console.log(
    `${fast ? 'fast' : 'durable'} round ${r + 1}: ${(cpuUs / total).toFixed(2)} µs CPU/request, ${((wallMs * 1000) / total).toFixed(2)} µs wall/request`,
  );
}
const sorted = [...perRequest].sort((a, b) => a - b);
console.log(
  `${fast ? 'fast' : 'durable'} median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(2)} µs CPU/request (min ${sorted[0]!.toFixed(2)}, max ${sorted.at(-1)!.toFixed(2)}; ${bytesOut > 0 ? 'encoded' : 'nothing encoded'})`,
);
await handle.close();
process.exit(0);
