// The broker floor's client: plain amqplib, one connection, requests
// published persistent with confirms, one durable reply queue and consumer
// per virtual user (as Warren has one per session), every reply acked.
import { randomUUID } from 'node:crypto';
import { connect, type ConsumeMessage, type Options } from 'amqplib';
import { AMQP_URL, MIMIC, REPLY_PREFETCH, REPLY_QUEUE_ARGS, replyQueue, requestQueue, requestsExchange } from '../lib/amqp-floor.ts';
import { clientMain } from '../lib/closed-loop.ts';

await clientMain(async (spec) => {
  const prefix = process.env.BENCH_PREFIX ?? 'benchamqp';
  const model = await connect(AMQP_URL, { noDelay: true });
  const out = await model.createConfirmChannel();
  const sharedReplies = await model.createChannel();
  await sharedReplies.prefetch(REPLY_PREFETCH);
  const waiting = new Map<string, { onChunk: () => void; resolve(value: unknown): void }>();
  const queues: string[] = [];
  for (let vu = 0; vu < spec.concurrency; vu++) {
    const replies = MIMIC.has('channels') ? await model.createChannel() : sharedReplies;
    if (MIMIC.has('channels')) await replies.prefetch(REPLY_PREFETCH);
    const queue = replyQueue(prefix, `${process.pid}-${vu}`);
    queues.push(queue);
    await replies.assertQueue(queue, { durable: true, arguments: MIMIC.has('quorum') ? { ...REPLY_QUEUE_ARGS, 'x-queue-type': 'quorum' } : REPLY_QUEUE_ARGS });
    await replies.consume(queue, (message: ConsumeMessage | null) => {
      if (!message) return;
      const body = JSON.parse(message.content.toString()) as { kind: string; id: string; data: unknown };
      // Warren's gateway settles a reply once the browser acked it (≈ 330 ms later at 1 MB, C=64).
      if (MIMIC.has('lateack')) setTimeout(() => replies.ack(message), 330);
      else replies.ack(message);
      const call = waiting.get(body.id);
      if (!call) return;
      if (body.kind === 'chunk') call.onChunk();
      else {
        waiting.delete(body.id);
        call.resolve(body.data);
      }
    });
  }
  return {
    call: (vu, workload, onChunk) =>
      new Promise((resolve, reject) => {
        const id = randomUUID();
        waiting.set(id, { onChunk, resolve });
        const options: Options.Publish = { persistent: true, correlationId: id, replyTo: queues[vu]!, contentType: 'application/json' };
        if (MIMIC.has('headers')) {
          Object.assign(options, { messageId: randomUUID(), type: workload.op, timestamp: Math.floor(Date.now() / 1000) });
          options.headers = {
            'x-warren-version': 1,
            'x-warren-session': 'Zm9vYmFyYmF6cXV4MTIzNDU2',
            'x-warren-deadline': Date.now() + 60_000,
            traceparent: `00-${randomUUID().replaceAll('-', '')}-0123456789abcdef-01`,
          };
        }
        if (MIMIC.has('ttl')) options.expiration = '60000';
        if (MIMIC.has('exchange') || MIMIC.has('mandatory')) options.mandatory = true;
        const [exchange, key] = MIMIC.has('exchange') ? [requestsExchange(prefix), workload.op] : ['', requestQueue(prefix, workload.op)];
        out.publish(exchange, key, Buffer.from(JSON.stringify(workload.payload)), options, (error) => {
          if (error) {
            waiting.delete(id);
            reject(error);
          }
        });
      }),
    async close() {
      for (const queue of queues) await sharedReplies.deleteQueue(queue).catch(() => {});
      await model.close().catch(() => {});
    },
  };
});
