// The validation thread: checks large payloads against announced schemas off
// the gateway's event loop, so a payload that costs a second of zod work (and
// garbage collection) delays only its own answer, never /healthz, broker
// heartbeats or other clients.
import { parentPort } from 'node:worker_threads';
import { checkVariants, createSchemaCompiler, type VariantSchema } from './schema-check.ts';

export interface ThreadJob {
  id: number;
  variants: VariantSchema[];
  payload: unknown;
}

const compile = createSchemaCompiler();
parentPort?.on('message', (job: ThreadJob) => {
  try {
    parentPort!.postMessage({ id: job.id, outcome: checkVariants(compile, job.variants, job.payload) });
  } catch (error) {
    parentPort!.postMessage({ id: job.id, failed: String((error as Error)?.message ?? error).slice(0, 200) });
  }
});
