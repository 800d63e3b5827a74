// The naive relay's worker: plain amqplib, answers on the default exchange
// to reply_to — a chunk per message, then the result. With no guarantees:
// auto-ack, non-persistent and unconfirmed. Made durable (NAIVE_DURABLE=1):
// quorum request queues, a prefetch, persistent answers on a confirm
// channel, the request acked once its last answer is confirmed.
import { connect, type ConsumeMessage } from 'amqplib';
import { serveUntilStdinCloses } from '../lib/child.ts';
import { AMQP_URL, DURABLE_QUEUE_ARGS, NAIVE_DURABLE, naiveExchange, naiveQueue, type NaiveReply } from '../lib/naive-relay.ts';
import { streamChunks, type StreamPayload } from '../lib/workloads.ts';

const prefix = process.env.BENCH_PREFIX ?? 'benchnaive';
const model = await connect(AMQP_URL, { noDelay: true });
const ch = NAIVE_DURABLE ? await model.createConfirmChannel() : await model.createChannel();
await ch.assertExchange(naiveExchange(prefix), 'direct', { durable: NAIVE_DURABLE });
if (NAIVE_DURABLE) await ch.prefetch(Number(process.env.WORKER_CONCURRENCY ?? 128));

const reply = (to: string, body: NaiveReply) =>
  NAIVE_DURABLE
    ? new Promise<void>((resolve, reject) =>
        ch.publish(
          '',
          to,
          Buffer.from(JSON.stringify(body)),
          { correlationId: body.id, contentType: 'application/json', persistent: true },
          (error: unknown) => (error ? reject(error) : resolve()),
        ),
      )
    : ch.publish('', to, Buffer.from(JSON.stringify(body)), { correlationId: body.id, contentType: 'application/json' });

const answer = (op: 'echo' | 'stream', message: ConsumeMessage) => {
  const { correlationId: id, replyTo } = message.properties as { correlationId: string; replyTo: string };
  const payload = JSON.parse(message.content.toString());
  const sent: unknown[] = [];
  if (op === 'stream') {
    for (const chunk of streamChunks(payload as StreamPayload)) sent.push(reply(replyTo, { kind: 'chunk', id, data: chunk }));
    sent.push(reply(replyTo, { kind: 'result', id, data: { n: (payload as StreamPayload).n } }));
  } else sent.push(reply(replyTo, { kind: 'result', id, data: payload }));
  if (NAIVE_DURABLE)
    Promise.all(sent).then(
      () => ch.ack(message),
      () => ch.nack(message, false, true),
    );
};

for (const op of ['echo', 'stream'] as const) {
  const queue = naiveQueue(prefix, op);
  await ch.assertQueue(queue, NAIVE_DURABLE ? { durable: true, arguments: DURABLE_QUEUE_ARGS } : { durable: false, autoDelete: true });
  await ch.bindQueue(queue, naiveExchange(prefix), op);
  await ch.consume(queue, (message) => message && answer(op, message), { noAck: !NAIVE_DURABLE });
}
serveUntilStdinCloses();
