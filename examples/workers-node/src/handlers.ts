// Demo handlers. `testRequest` is the streaming example the docs and tests use;
// keep its shape stable. Payloads, chunks and results
// are typed and checked by the shared contracts (@warren/example-contracts):
// a handler gets the parsed payload, defaults filled in. withContracts makes
// them plain handlers that carry their contracts, so they also mix with
// untyped ones (`{ ...handlers, extra }`) and still announce their schemas.
import { contracts } from '@warren/example-contracts';
import { withContracts } from '@warren/worker';

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

export const handlers = withContracts(contracts, {
  async testRequest({ count, delayMs, fail, tag, padBytes }, ctx) {
    const started = Date.now();
    const pad = padBytes ? 'x'.repeat(padBytes) : undefined;
    for (let seq = 0; seq < count; seq++) {
      if (delayMs > 0) await sleep(delayMs, ctx.signal);
      await ctx.sendChunk({ seq, text: `chunk ${seq + 1} of ${count}`, ...(tag === undefined ? {} : { tag }), ...(pad ? { pad } : {}) });
    }
    if (fail) throw new Error(fail);
    return { count, elapsedMs: Date.now() - started, attempt: ctx.attempt };
  },

  async longTask({ steps, stepMs }, ctx) {
    ctx.log.info({ steps, stepMs }, 'longTask started');
    for (let step = 1; step <= steps; step++) {
      try {
        await sleep(stepMs, ctx.signal);
      } catch (reason) {
        ctx.log.info({ step, steps }, `longTask stopped at step ${step} of ${steps}: ${(reason as Error).message}`);
        throw reason;
      }
      await ctx.sendChunk({ step, steps, progress: step / steps });
    }
    return { steps, done: true as const };
  },
});
