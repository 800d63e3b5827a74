// Shared settings of the BullMQ relay (the common peer).
export const REDIS = { host: process.env.REDIS_HOST ?? '127.0.0.1', port: Number(process.env.REDIS_PORT ?? 6379), maxRetriesPerRequest: null };

/** One queue per op: large echoes get a short event stream, or Redis would hold thousands of 1 MB results. */
export const queueName = (prefix: string, op: string, large: boolean) => `${prefix}-${op}${large ? '-large' : ''}`;
export const EVENTS_MAX_LEN = { small: 100_000, large: 200 };
export const LARGE_BYTES = 64 * 1024;
