// The validation thread: checks large payloads against announced schemas off
// the gateway's event loop, so a payload that costs a second of zod work (and
// garbage collection) delays only its own answer, never /healthz, broker
// heartbeats or other clients.
import { parentPort } from 'node:worker_threads';
import { checkBounded, createSchemaCompiler, type VariantSchema } from './schema-check.ts';

interface ThreadJob {
  id: number;
  variants: VariantSchema[];
  /** The payload as JSON text (cheaper to hand over than the object). */
  json: string;
}

const compile = createSchemaCompiler();
parentPort?.on('message', (job: ThreadJob) => {
  try {
    parentPort!.postMessage({ id: job.id, outcome: checkBounded(compile, job.variants, JSON.parse(job.json)) });
  } catch (error) {
    parentPort!.postMessage({ id: job.id, failed: String((error as Error)?.message ?? error).slice(0, 200) });
  }
});
