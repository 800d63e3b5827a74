// Unique namespaces per test file and removal of everything they created, so
// runs never interfere and the broker is left clean.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { connect } from 'amqplib';
import { DEFAULT_AMQP_URL } from '@warren/protocol';

export const AMQP_URL = process.env.AMQP_URL ?? DEFAULT_AMQP_URL;

export const uniqueNamespace = (prefix = 't') => `${prefix}${randomBytes(4).toString('hex')}`;

/**
 * Queues whose messages are work still to do: the request queues (durable
 * and fast) and the dead letters. Not reply or call queues (answers; a call
 * queue keeps its answers on purpose) nor the cancel stream (a log nobody
 * empties): those are not expected to drain.
 */
export const isWorkQueue = (name: string): boolean => /\.(req|fast)\.[^.]|\.dead$/.test(name);

const depthsOf = (stats: QueueStats): Record<string, number> => {
  const depths: Record<string, number> = {};
  for (const [name, q] of Object.entries(stats)) depths[name] = q.ready + q.unacked;
  return depths;
};

/** Messages (ready + unacked) per queue of the namespace. */
export const queueDepths = (namespace: string): Record<string, number> => depthsOf(queueStats(namespace));

/** queueDepths without blocking the event loop (see readQueueStats). */
export const readQueueDepths = async (namespace: string): Promise<Record<string, number>> => depthsOf(await readQueueStats(namespace));

type QueueStats = Record<string, { ready: number; unacked: number; consumers: number }>;
const LIST_QUEUES = ['list_queues', '-q', '--no-table-headers', 'name', 'messages_ready', 'messages_unacknowledged', 'consumers'];

const parseQueueStats = (namespace: string, out: string): QueueStats => {
  const stats: QueueStats = {};
  for (const line of out.split('\n')) {
    const [name, ready, unacked, consumers] = line.trim().split(/\s+/);
    if (name?.startsWith(`${namespace}.`)) stats[name] = { ready: Number(ready), unacked: Number(unacked), consumers: Number(consumers) };
  }
  return stats;
};

export const queueStats = (namespace: string): QueueStats => parseQueueStats(namespace, execFileSync('rabbitmqctl', LIST_QUEUES, { encoding: 'utf8' }));

/**
 * queueStats without blocking: a test whose gateway or client runs in its
 * own process must poll with this one. `rabbitmqctl` takes 2–3 s on a
 * loaded machine, and the synchronous call stops the event loop that
 * would settle what the test is waiting to see settled.
 */
export const readQueueStats = async (namespace: string): Promise<QueueStats> =>
  parseQueueStats(namespace, (await promisify(execFile)('rabbitmqctl', LIST_QUEUES, { encoding: 'utf8' })).stdout);

export const deleteNamespace = async (namespace: string) => {
  const model = await connect(AMQP_URL);
  try {
    const ch = await model.createChannel();
    for (const queue of Object.keys(queueStats(namespace))) await ch.deleteQueue(queue);
    for (const suffix of ['requests', 'control', 'registry', 'dead']) await ch.deleteExchange(`${namespace}.${suffix}`);
    await ch.close();
  } finally {
    await model.close();
  }
};
