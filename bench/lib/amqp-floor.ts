// Names and settings of the bare AMQP floor, shared by its worker and client.
// Durability matches Warren's promises: quorum request queues, persistent
// messages, publisher confirms on both publishes, manual acks, a durable
// classic reply queue per client session (here: per virtual user).
export const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

export const requestQueue = (prefix: string, op: string) => `${prefix}.req.${op}`;
export const replyQueue = (prefix: string, id: string) => `${prefix}.reply.${id}`;
export const REQUEST_QUEUE_ARGS = { 'x-queue-type': 'quorum' };
export const REPLY_QUEUE_ARGS = { 'x-expires': 300_000 };
export const REPLY_PREFETCH = 256;

/**
 * BENCH_AMQP_MIMIC: comma-separated Warren features the floor can take on,
 * one at a time, to find what each costs the broker: `exchange` (a direct
 * exchange and mandatory publishes), `headers` (Warren's properties and
 * headers), `ttl` (per-message expiration), `qargs` (delivery limit and
 * dead-letter exchange), `channels` (a channel per reply consumer),
 * `quorum` (quorum reply queues), `lateack` (replies acked 330 ms after
 * delivery, as Warren's gateway acks after the browser did), `mandatory`
 * (requests and replies published mandatory, default exchange).
 */
export const MIMIC = new Set((process.env.BENCH_AMQP_MIMIC ?? '').split(',').filter(Boolean));

/**
 * The features above that are guarantees Warren keeps at the broker, which
 * the `amqp-guarantees` system always has: answers replicated (quorum reply
 * queues, decision 0010), a publish no queue takes is returned, not dropped
 * (mandatory), a request nobody took by its deadline is dropped (ttl,
 * decision 0006), a request that keeps failing ends dead-lettered (qargs).
 * The rest are how Warren is built: its exchange, headers, channels, and
 * late acks (the browser's hop, which the floor has not).
 */
export const GUARANTEES = 'quorum,mandatory,ttl,qargs';
export const requestsExchange = (prefix: string) => `${prefix}.requests`;
export const requestQueueArgs = (prefix: string) =>
  MIMIC.has('qargs') ? { ...REQUEST_QUEUE_ARGS, 'x-delivery-limit': 5, 'x-dead-letter-exchange': `${prefix}.dead` } : REQUEST_QUEUE_ARGS;
