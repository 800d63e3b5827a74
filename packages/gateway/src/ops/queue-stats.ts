// Queue depths and consumer counts per request type, from AMQP itself: a
// passive queue.declare (checkQueue) answers both without the management
// plugin. Its own small connection, opened on first use and kept, so a
// console poll never touches the channels that carry requests. A queue
// that does not exist closes the channel (404); the next check opens another.
import { connect, type Channel, type ChannelModel } from 'amqplib';
import { topology } from '@warren/protocol';

interface QueueStat {
  type: string;
  queue: string;
  /** Ready messages (waiting for a worker); null when the queue does not exist. */
  messages: number | null;
  consumers: number | null;
}

export interface QueueStats {
  check(types: readonly string[]): Promise<{ queues: QueueStat[]; deadLetters: QueueStat | null; error?: string }>;
  close(): Promise<void>;
}

export const createQueueStats = (urls: readonly string[], namespace: string): QueueStats => {
  const topo = topology(namespace);
  let model: Promise<ChannelModel> | null = null;
  let next = 0;
  const open = () =>
    (model ??= (async () => {
      const url = urls[next++ % urls.length]!;
      const m = await connect(url, { timeout: 3000, clientProperties: { connection_name: 'warren-gateway:ops' } });
      m.on('error', () => {});
      m.on('close', () => {
        model = null;
      });
      return m;
    })().catch((error: unknown) => {
      model = null;
      throw error;
    }));

  const checkOne = async (m: ChannelModel, queue: string): Promise<{ messages: number | null; consumers: number | null }> => {
    let ch: Channel | undefined;
    try {
      ch = await m.createChannel();
      ch.on('error', () => {});
      const ok = await ch.checkQueue(queue);
      return { messages: ok.messageCount, consumers: ok.consumerCount };
    } catch {
      return { messages: null, consumers: null }; // 404: nobody declared it yet
    } finally {
      await ch?.close().catch(() => {});
    }
  };

  return {
    async check(types) {
      let m: ChannelModel;
      try {
        m = await open();
      } catch {
        // The broker's address is not for the browser.
        return {
          queues: types.map((type) => ({ type, queue: topo.requestQueue(type), messages: null, consumers: null })),
          deadLetters: null,
          error: 'The broker cannot be reached for queue statistics.',
        };
      }
      const queues = await Promise.all(types.map(async (type) => ({ type, queue: topo.requestQueue(type), ...(await checkOne(m, topo.requestQueue(type))) })));
      const dead = await checkOne(m, topo.deadLetterQueue);
      return { queues, deadLetters: { type: '(dead letters)', queue: topo.deadLetterQueue, ...dead } };
    },
    async close() {
      const m = await model?.catch(() => null);
      model = null;
      await m?.close().catch(() => {});
    },
  };
};
