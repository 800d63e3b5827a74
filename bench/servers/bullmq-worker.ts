// The BullMQ relay's worker: `echo` returns the job data, `stream` reports
// each chunk with job.updateProgress and returns { n }.
import { Worker, type Job } from 'bullmq';
import { serveUntilStdinCloses } from '../lib/child.ts';
import { queueName, REDIS } from '../lib/bullmq-relay.ts';
import { streamChunks, type StreamPayload } from '../lib/workloads.ts';

const prefix = process.env.BENCH_PREFIX ?? 'benchbull';
const concurrency = Number(process.env.WORKER_CONCURRENCY ?? 128);
const processor = async (job: Job) => {
  if (job.name !== 'stream') return job.data;
  for (const chunk of streamChunks(job.data as StreamPayload)) await job.updateProgress(chunk);
  return { n: (job.data as StreamPayload).n };
};
const workers = [queueName(prefix, 'echo', false), queueName(prefix, 'echo', true), queueName(prefix, 'stream', false)].map(
  (name) => new Worker(name, processor, { connection: REDIS, concurrency }),
);
await Promise.all(workers.map((w) => w.waitUntilReady()));
serveUntilStdinCloses();
