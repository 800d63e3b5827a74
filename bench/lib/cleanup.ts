// Removes what a run left on the broker and in Redis: durable queues outlive
// their processes, BullMQ keys outlive their queues.
import { connect } from 'amqplib';
import { Queue } from 'bullmq';
import { AMQP_URL } from './amqp-floor.ts';
import { REDIS } from './bullmq-relay.ts';

export const deleteQueues = async (queues: string[], exchanges: string[] = []): Promise<void> => {
  const model = await connect(AMQP_URL);
  try {
    const ch = await model.createChannel();
    for (const queue of queues) await ch.deleteQueue(queue);
    for (const exchange of exchanges) await ch.deleteExchange(exchange);
    await ch.close();
  } finally {
    await model.close();
  }
};

export const obliterateQueues = async (names: string[]): Promise<void> => {
  for (const name of names) {
    const queue = new Queue(name, { connection: REDIS });
    try {
      await queue.obliterate({ force: true });
    } finally {
      await queue.close();
    }
  }
};
