// Warren's bench worker: `echo` and `stream` on the worker SDK, nothing else.
// BENCH_FAST=1: both also on the fast lane (announced, so the gateway uses it).
import { registerHandlers } from '@warren/worker';
import { pino } from 'pino';
import { serveUntilStdinCloses } from '../lib/child.ts';
import { streamChunks, type StreamPayload } from '../lib/workloads.ts';

await registerHandlers(
  {
    service: 'bench',
    url: process.env.AMQP_URL,
    namespace: process.env.WARREN_NAMESPACE,
    concurrency: Number(process.env.WORKER_CONCURRENCY ?? 128),
    // The gateway takes the fast lane only for types a live worker announced fast.
    announce: process.env.BENCH_FAST === '1',
    fast: process.env.BENCH_FAST === '1',
    log: pino({ name: 'bench-worker', level: process.env.LOG_LEVEL ?? 'warn' }),
  },
  {
    echo: (payload: unknown) => payload,
    async stream(payload: StreamPayload, ctx) {
      for (const chunk of streamChunks(payload)) await ctx.sendChunk(chunk);
      return { n: payload.n };
    },
  },
);
serveUntilStdinCloses();
