// The broker floor's worker: plain amqplib, one channel per op with
// prefetch, replies published persistent on a confirm channel, the request
// acked once its final reply is confirmed — Warren's worker contract with
// nothing else (no envelope validation, deadlines, cancels or logging).
import { connect, type ConsumeMessage } from 'amqplib';
import { serveUntilStdinCloses } from '../lib/child.ts';
import { AMQP_URL, MIMIC, requestQueue, requestQueueArgs, requestsExchange } from '../lib/amqp-floor.ts';
import { streamChunks, type StreamPayload } from '../lib/workloads.ts';

const prefix = process.env.BENCH_PREFIX ?? 'benchamqp';
const prefetch = Number(process.env.WORKER_CONCURRENCY ?? 128);
const model = await connect(AMQP_URL, { noDelay: true });
const out = await model.createConfirmChannel();

const publish = (to: string, id: string, kind: string, body: unknown) =>
  new Promise<void>((resolve, reject) => {
    const options = { persistent: true, correlationId: id, type: kind, contentType: 'application/json', mandatory: MIMIC.has('mandatory') };
    out.publish('', to, Buffer.from(JSON.stringify(body)), options, (error) => (error ? reject(error) : resolve()));
  });

for (const op of ['echo', 'stream'] as const) {
  const ch = await model.createChannel();
  const queue = requestQueue(prefix, op);
  if (MIMIC.has('qargs')) await ch.assertExchange(`${prefix}.dead`, 'fanout', { durable: true });
  await ch.assertQueue(queue, { durable: true, arguments: requestQueueArgs(prefix) });
  if (MIMIC.has('exchange')) {
    await ch.assertExchange(requestsExchange(prefix), 'direct', { durable: true });
    await ch.bindQueue(queue, requestsExchange(prefix), op);
  }
  await ch.prefetch(prefetch);
  await ch.consume(queue, (message: ConsumeMessage | null) => {
    if (!message) return;
    const { correlationId: id, replyTo } = message.properties as { correlationId: string; replyTo: string };
    const payload = JSON.parse(message.content.toString());
    const confirms: Promise<void>[] = [];
    let seq = 0;
    if (op === 'stream') {
      for (const chunk of streamChunks(payload as StreamPayload)) confirms.push(publish(replyTo, id, 'chunk', { kind: 'chunk', id, seq: seq++, data: chunk }));
      confirms.push(publish(replyTo, id, 'result', { kind: 'result', id, seq, data: { n: (payload as StreamPayload).n } }));
    } else confirms.push(publish(replyTo, id, 'result', { kind: 'result', id, seq, data: payload }));
    Promise.all(confirms).then(
      () => ch.ack(message),
      () => ch.nack(message, false, true),
    );
  });
}
serveUntilStdinCloses();
