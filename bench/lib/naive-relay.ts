// Names and settings of the naive relay: the simplest Socket.IO → RabbitMQ
// relay with no guarantees, shared by its gateway and worker. A direct
// exchange routes each request by its op; one exclusive reply queue per
// relay process; nothing durable, no publisher confirms, auto-ack.
export { AMQP_URL } from './amqp-floor.ts';

export const naiveExchange = (prefix: string) => `${prefix}.naive`;
export const naiveQueue = (prefix: string, op: string) => `${prefix}.naive.${op}`;
/** What travels back on the reply queue: one message per chunk, then the result. */
export interface NaiveReply {
  kind: 'chunk' | 'result';
  id: string;
  data: unknown;
}
