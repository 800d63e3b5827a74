// The naive relay's worker: plain amqplib, auto-ack, answers on the default
// exchange to reply_to — a chunk per message, then the result — non-persistent
// and unconfirmed.
import { connect } from 'amqplib';
import { serveUntilStdinCloses } from '../lib/child.ts';
import { AMQP_URL, naiveExchange, naiveQueue, type NaiveReply } from '../lib/naive-relay.ts';
import { streamChunks, type StreamPayload } from '../lib/workloads.ts';

const prefix = process.env.BENCH_PREFIX ?? 'benchnaive';
const model = await connect(AMQP_URL, { noDelay: true });
const ch = await model.createChannel();
await ch.assertExchange(naiveExchange(prefix), 'direct', { durable: false });
const reply = (to: string, body: NaiveReply) =>
  ch.publish('', to, Buffer.from(JSON.stringify(body)), { correlationId: body.id, contentType: 'application/json' });

for (const op of ['echo', 'stream'] as const) {
  const queue = naiveQueue(prefix, op);
  await ch.assertQueue(queue, { durable: false, autoDelete: true });
  await ch.bindQueue(queue, naiveExchange(prefix), op);
  await ch.consume(
    queue,
    (message) => {
      if (!message) return;
      const { correlationId: id, replyTo } = message.properties as { correlationId: string; replyTo: string };
      const payload = JSON.parse(message.content.toString());
      if (op === 'stream') {
        for (const chunk of streamChunks(payload as StreamPayload)) reply(replyTo, { kind: 'chunk', id, data: chunk });
        reply(replyTo, { kind: 'result', id, data: { n: (payload as StreamPayload).n } });
      } else reply(replyTo, { kind: 'result', id, data: payload });
    },
    { noAck: true },
  );
}
serveUntilStdinCloses();
