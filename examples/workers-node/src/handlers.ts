// Demo handlers. `testRequest` is the seeds' streaming example; later checks
// and docs rely on its shape, so keep it stable.
import { createWarrenError, type Handlers } from '@warren/worker';
import { z } from 'zod';

const testRequestPayload = z.object({
  /** Chunks to stream. */
  count: z.number().int().min(0).max(10_000).default(3),
  /** Pause before each chunk, ms. */
  delayMs: z.number().int().min(0).max(60_000).default(100),
  /** When set, the handler throws this message after streaming (error demos). */
  fail: z.string().max(500).optional(),
  /** Echoed in every chunk, so tests can tell whose chunks they are. */
  tag: z.string().max(200).optional(),
  /** Adds this many bytes of filler to every chunk (load and backpressure tests). */
  padBytes: z.number().int().min(0).max(1_000_000).optional(),
});

const longTaskPayload = z.object({
  steps: z.number().int().min(1).max(1000).default(20),
  stepMs: z.number().int().min(0).max(10_000).default(500),
});

const parse = <T>(schema: z.ZodType<T>, payload: unknown): T => {
  const result = schema.safeParse(payload ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message }));
  throw createWarrenError('INVALID_PAYLOAD', issues.map((i) => `${i.path}: ${i.message}`).join('; '), { details: { issues } });
};

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

export const handlers = {
  async testRequest(payload, ctx) {
    const { count, delayMs, fail, tag, padBytes } = parse(testRequestPayload, payload);
    const started = Date.now();
    const pad = padBytes ? 'x'.repeat(padBytes) : undefined;
    for (let seq = 0; seq < count; seq++) {
      if (delayMs > 0) await sleep(delayMs, ctx.signal);
      await ctx.sendChunk({ seq, text: `chunk ${seq + 1} of ${count}`, ...(tag === undefined ? {} : { tag }), ...(pad ? { pad } : {}) });
    }
    if (fail) throw new Error(fail);
    return { count, elapsedMs: Date.now() - started, attempt: ctx.attempt };
  },

  async longTask(payload, ctx) {
    const { steps, stepMs } = parse(longTaskPayload, payload);
    for (let step = 1; step <= steps; step++) {
      try {
        await sleep(stepMs, ctx.signal);
      } catch (reason) {
        ctx.log.info({ step, steps }, `longTask stopped at step ${step} of ${steps}: ${(reason as Error).message}`);
        throw reason;
      }
      await ctx.sendChunk({ step, steps, progress: step / steps });
    }
    return { steps, done: true };
  },
} satisfies Handlers;
