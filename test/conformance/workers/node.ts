// The conformance service on the Node/Bun SDK. python.py serves the SAME
// types with the same payloads and answers; conformance.int.test.ts runs one
// list of cases against each. Change one, change both.
//
//   conf.echo       any             → the payload, unchanged
//   conf.stream     { n }           → chunks { i } for i = 0…n-1, then { n }
//   conf.fail       { message, code?, details? } → throws: WORKER_ERROR with message, or the Warren error code
//   conf.sleep      { ms }          → sleeps ms, aborted by cancel/deadline; → { slept }
//   conf.busy       { ms }          → sleeps ms; → { peak } (most conf.busy running at once so far)
//   conf.cancelled  { id }          → { started, running, observed, reason } of conf.sleep request `id` (this process's memory)
//   conf.attempt    any             → { attempt, hasPrincipal, hasTraceparent, sub, traceparent }
//   conf.typed      { name, times } → { greeting } (payload schema declared and announced; no other fields)
//
// conf.echo, conf.stream, conf.sleep and conf.attempt are served on the fast lane too; conf.typed is not.
import { z } from 'zod';
import { createWarrenError, defineContract, defineContracts, registerHandlers, withContracts, workerOptionsFromEnv, type ErrorCode } from '@warren/worker';
import { abortableSleep as sleep } from '../../support/abortable-sleep.ts';

// Worker-local memory of conf.sleep runs, so a test can ask whether a handler saw its abort.
const started = new Set<string>();
const running = new Set<string>();
const observed = new Map<string, string>();
const busy = { now: 0, peak: 0 };

const contracts = defineContracts({
  'conf.typed': defineContract({
    description: 'Greets name, times times; the payload schema is declared.',
    payload: z.strictObject({ name: z.string().min(1), times: z.number().int().min(1) }),
    result: z.object({ greeting: z.string() }),
  }),
});

await registerHandlers(
  {
    service: 'conformance-node',
    handleSignals: true,
    ...workerOptionsFromEnv(),
    concurrency: 2,
    // The fast lane for these (conf.typed stays durable-only: a fast call of it falls back).
    fast: ['conf.echo', 'conf.stream', 'conf.sleep', 'conf.attempt'],
  },
  {
    'conf.echo': (payload: unknown) => payload,
    'conf.stream': async ({ n }: { n: number }, ctx) => {
      for (let i = 0; i < n; i++) await ctx.sendChunk({ i });
      return { n };
    },
    'conf.fail': ({ message, code, details }: { message: string; code?: ErrorCode; details?: Record<string, unknown> }) => {
      throw code ? createWarrenError(code, message, details ? { details } : {}) : new Error(message);
    },
    'conf.sleep': async ({ ms }: { ms: number }, ctx) => {
      started.add(ctx.id);
      running.add(ctx.id);
      try {
        await sleep(ms, ctx.signal);
        return { slept: ms };
      } catch (error) {
        observed.set(ctx.id, (ctx.signal.reason as { code?: string } | undefined)?.code ?? 'UNKNOWN');
        throw error;
      } finally {
        running.delete(ctx.id);
      }
    },
    'conf.busy': async ({ ms }: { ms: number }, ctx) => {
      busy.peak = Math.max(busy.peak, ++busy.now);
      try {
        await sleep(ms, ctx.signal);
      } finally {
        busy.now--;
      }
      return { peak: busy.peak };
    },
    'conf.cancelled': ({ id }: { id: string }) => ({
      started: started.has(id),
      running: running.has(id),
      observed: observed.has(id),
      reason: observed.get(id) ?? null,
    }),
    'conf.attempt': (_payload: unknown, ctx) => ({
      attempt: ctx.attempt,
      hasPrincipal: ctx.principal !== undefined,
      hasTraceparent: ctx.traceparent !== undefined,
      sub: ctx.principal?.sub ?? null,
      traceparent: ctx.traceparent ?? null,
    }),
    ...withContracts(contracts, {
      'conf.typed': ({ name, times }) => ({ greeting: Array.from({ length: times }, () => `Hello, ${name}`).join(' ') }),
    }),
  },
);
