// Names and settings of the naive relay: the simplest Socket.IO → RabbitMQ
// relay, shared by its gateway and worker. A direct exchange routes each
// request by its op. With no guarantees (`naive`): one exclusive reply queue
// per relay process; nothing durable, no publisher confirms, auto-ack.
// Made durable (`naive-durable`, NAIVE_DURABLE=1): what durability alone
// costs a relay, and nothing of Warren's — quorum request queues and a
// quorum reply queue per socket, persistent messages, publisher confirms on
// both sides, requests acked once their answer is confirmed, replies acked
// once written to the socket. Its gateway's CPU is the floor of any relay
// that keeps Warren's broker guarantees.
export { AMQP_URL } from './amqp-floor.ts';

export const NAIVE_DURABLE = process.env.NAIVE_DURABLE === '1';
export const naiveExchange = (prefix: string) => `${prefix}.naive`;
export const naiveQueue = (prefix: string, op: string) => `${prefix}.naive.${op}`;
export const naiveReplyQueue = (prefix: string, socket: string) => `${prefix}.naive.reply.${socket}`;
/** Quorum queues, as Warren's: the request queues, and the per-socket reply queues (which expire once unused, should a socket's own delete not run). */
export const DURABLE_QUEUE_ARGS = { 'x-queue-type': 'quorum' };
export const DURABLE_REPLY_ARGS = { ...DURABLE_QUEUE_ARGS, 'x-expires': 60_000 };
/** What travels back on the reply queue: one message per chunk, then the result. */
export interface NaiveReply {
  kind: 'chunk' | 'result';
  id: string;
  data: unknown;
}
