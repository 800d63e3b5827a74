// The worker's CPU per request, in one process and without a broker: the
// worker SDK (registerHandlers) behind a fake transport that decodes each
// delivery as the AMQP transport does (codec.ts), settles it through the
// same ack batcher, and encodes each response as it would be published,
// with the broker's confirm an already-resolved promise. Closed loop at C
// in flight, like the bench's clients. Used for docs/decisions/0015
// ("The worker (third round)"); run it in two checkouts, alternating:
//   bun bench/worker-cost.ts [--fast] [--n 200000] [--c 64] [--rounds 5]
import type { ConsumeMessage } from 'amqplib';
import { topology } from '@warren/protocol';
import type { RequestDelivery, Subscription, Transport, WorkerTransport } from '@warren/transport';
import { registerHandlers } from '@warren/worker';
import { pino } from 'pino';
import { decodeRequest, encodeResponse, encodeResponses } from '../packages/transport/src/amqp/codec.ts';
import { createAckBatcher } from '../packages/transport/src/amqp/consumer.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
};
const fast = process.argv.includes('--fast');
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
  publishResponse: async (s, response, _replyTo, how) => {
    bytesOut += encodeResponse(response, how?.fast ? s : undefined).body.length;
    return 'delivered';
  },
  publishResponses: async (s, responses, _replyTo, how) => {
    bytesOut += encodeResponses(responses, how?.fast ? s : undefined).body.length;
    return 'delivered';
  },
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
