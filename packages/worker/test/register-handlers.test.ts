import { afterEach, describe, expect, it } from 'vitest';
import { createWarrenError } from '@warren/protocol';
import { registerHandlers, type WorkerHandle } from '@warren/worker';
import { createHarness, final, quietLog, sleep } from './harness.ts';

const handles: WorkerHandle[] = [];
const start = async (h: ReturnType<typeof createHarness>, handlers: Parameters<typeof registerHandlers>[1], concurrency = 4) => {
  const handle = await registerHandlers({ service: 'test', transport: h.workerTransport(), log: quietLog, concurrency, drainTimeoutMs: 200 }, handlers);
  handles.push(handle);
  return handle;
};
afterEach(async () => {
  await Promise.all(handles.splice(0).map((w) => w.close()));
});

describe('registerHandlers', () => {
  it('answers with the returned value as the result', async () => {
    const h = createHarness();
    await start(h, { add: (p: { a: number; b: number }) => ({ sum: p.a + p.b }) });
    const { done } = await h.call('add', { a: 2, b: 3 });
    // seq 0 of an attempt names the worker that picked it up (docs/protocol.md, "Hops").
    expect(await done).toEqual([
      {
        kind: 'result',
        id: expect.any(String),
        seq: 0,
        attempt: 1,
        data: { sum: 5 },
        worker: { instance: expect.any(String), language: 'typescript', service: 'test', startedAt: expect.any(Number) },
      },
    ]);
  });

  it('streams chunks in order, numbered, before the result', async () => {
    const h = createHarness();
    await start(h, {
      count: async (p: { n: number }, ctx) => {
        for (let i = 0; i < p.n; i++) await ctx.sendChunk(i);
        return 'done';
      },
    });
    const list = await (await h.call('count', { n: 100 })).done;
    expect(list.slice(0, -1).map((r) => [r.kind, r.seq, (r as { data: unknown }).data])).toEqual(Array.from({ length: 100 }, (_, i) => ['chunk', i, i]));
    expect(final(list)).toMatchObject({ kind: 'result', seq: 100, data: 'done' });
  });

  it('turns a thrown error into WORKER_ERROR with a generic message and a log reference, never its text, and keeps serving', async () => {
    const h = createHarness();
    await start(h, {
      boom: () => {
        throw new Error('could not connect to postgres://admin:hunter2@db/shop');
      },
      ok: () => 'fine',
    });
    const err = final(await (await h.call('boom', null)).done);
    expect(err).toMatchObject({ kind: 'error', error: { code: 'WORKER_ERROR', details: { reference: expect.stringMatching(/^[0-9a-f]{12}$/) } } });
    if (err?.kind !== 'error') throw new Error('expected an error response');
    const { message, details } = err.error;
    expect(message).toContain(String(details?.reference));
    expect(JSON.stringify(err)).not.toMatch(/hunter2|postgres|at .*\.ts/);
    expect(final(await (await h.call('ok', null)).done)).toMatchObject({ kind: 'result', data: 'fine' });
  });

  it('keeps the code of a thrown Warren error', async () => {
    const h = createHarness();
    await start(h, {
      strict: () => {
        throw createWarrenError('INVALID_PAYLOAD', 'count: expected number', { details: { issues: [{ path: 'count' }] } });
      },
    });
    expect(final(await (await h.call('strict', {})).done)).toMatchObject({
      kind: 'error',
      error: { code: 'INVALID_PAYLOAD', details: { issues: [{ path: 'count' }] } },
    });
  });

  it('answers TIMEOUT without running a request whose deadline passed', async () => {
    // A broker whose clock lags still delivers it; the worker must check itself.
    const h = createHarness({ brokerNow: () => 0 });
    let ran = false;
    await start(h, {
      work: () => {
        ran = true;
      },
    });
    const { done } = await h.call('work', null, { deadline: Date.now() - 1000 });
    expect(final(await done)).toMatchObject({ kind: 'error', seq: 0, error: { code: 'TIMEOUT' } });
    expect(ran).toBe(false);
  });

  it('aborts ctx.signal and answers TIMEOUT when the deadline passes mid-handler', async () => {
    const h = createHarness();
    let aborted: unknown;
    await start(h, {
      slow: async (_p, ctx) => {
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        aborted = ctx.signal.reason;
      },
    });
    const { done } = await h.call('slow', null, { deadline: Date.now() + 50 });
    expect(final(await done)).toMatchObject({ kind: 'error', error: { code: 'TIMEOUT' } });
    expect(aborted).toMatchObject({ code: 'TIMEOUT' });
  });

  it('exposes the remaining budget', async () => {
    const h = createHarness();
    await start(h, { budget: (_p, ctx) => ctx.remainingMs() });
    const list = await (await h.call('budget', null, { deadline: Date.now() + 5000 })).done;
    expect((final(list) as { data: number }).data).toBeGreaterThan(4000);
  });

  it('cancels a running handler: signal aborted, final message CANCELLED, sendChunk refuses', async () => {
    const h = createHarness();
    let afterCancel: unknown;
    await start(h, {
      long: async (_p, ctx) => {
        await ctx.sendChunk('started');
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        afterCancel = await ctx.sendChunk('too late').catch((e) => e);
      },
    });
    const { id, done } = await h.call('long', null);
    await sleep(20);
    await h.cancel('long', id);
    const list = await done;
    expect(list.map((r) => r.kind)).toEqual(['chunk', 'error']);
    expect(final(list)).toMatchObject({ error: { code: 'CANCELLED' } });
    expect(afterCancel).toMatchObject({ code: 'CANCELLED' });
  });

  it('ignores a cancel from another session', async () => {
    const h = createHarness();
    await start(h, {
      wait: async () => {
        await sleep(60);
        return 'finished';
      },
    });
    const { id, done } = await h.call('wait', null);
    await sleep(10);
    await h.cancel('wait', id, 'someone-else');
    expect(final(await done)).toMatchObject({ kind: 'result', data: 'finished' });
  });

  it('skips a request that was cancelled while still queued', async () => {
    const h = createHarness();
    const ran: string[] = [];
    await start(
      h,
      {
        one: async (p: string) => {
          ran.push(p);
          await sleep(50);
          return p;
        },
      },
      1,
    );
    const first = await h.call('one', 'first');
    const second = await h.call('one', 'second');
    await sleep(10);
    await h.cancel('one', second.id);
    expect(final(await second.done)).toMatchObject({ error: { code: 'CANCELLED' } });
    await first.done;
    expect(ran).toEqual(['first']);
  });

  it('never runs more handlers of a type at once than its concurrency', async () => {
    const h = createHarness();
    let running = 0;
    let peak = 0;
    await start(
      h,
      {
        busy: async () => {
          peak = Math.max(peak, ++running);
          await sleep(15);
          running--;
        },
      },
      3,
    );
    const calls = await Promise.all(Array.from({ length: 12 }, () => h.call('busy', null)));
    await Promise.all(calls.map((c) => c.done));
    expect(peak).toBe(3);
  });

  it('reports a result that is not JSON as WORKER_ERROR', async () => {
    const h = createHarness();
    await start(h, { big: () => ({ n: 10n }) });
    expect(final(await (await h.call('big', null)).done)).toMatchObject({ error: { code: 'WORKER_ERROR', message: /JSON/ } });
  });

  it('drains on close: in-flight work finishes, new work is left for other workers', async () => {
    const h = createHarness();
    const w = await start(
      h,
      {
        job: async () => {
          await sleep(40);
          return 'ok';
        },
      },
      1,
    );
    const a = await h.call('job', null);
    await sleep(5);
    const closing = w.close();
    const b = await h.call('job', null);
    await closing;
    expect(final(await a.done)).toMatchObject({ kind: 'result' });
    expect(h.broker.depth('job')).toBe(1);
    await start(h, { job: () => 'second worker' });
    expect(final(await b.done)).toMatchObject({ data: 'second worker' });
  });

  it('hands back work still running when the drain timeout passes', async () => {
    const h = createHarness();
    const w = await start(h, { stuck: () => new Promise(() => {}) }, 1);
    const a = await h.call('stuck', null);
    await sleep(5);
    await w.close();
    await start(h, { stuck: (_p, ctx) => `attempt ${ctx.attempt}` });
    expect(final(await a.done)).toMatchObject({ kind: 'result', data: 'attempt 2', attempt: 2 });
  });

  const flakyWorker = async (h: ReturnType<typeof createHarness>, fails: (response: { kind: string; seq: number; attempt: number }) => boolean) => {
    const real = h.workerTransport();
    // The real interface with some publishes failing, as during a broker blip.
    const flaky = {
      ...real,
      publishResponse: (session: string, response: Parameters<typeof real.publishResponse>[1]) =>
        fails(response) ? Promise.reject(createWarrenError('BROKER_UNAVAILABLE', 'blip')) : real.publishResponse(session, response),
    };
    handles.push(
      await registerHandlers(
        { service: 'flaky', transport: flaky, log: quietLog, drainTimeoutMs: 200 },
        {
          three: async (_p, ctx) => {
            for (let i = 0; i < 3; i++) {
              await ctx.sendChunk(i);
              await sleep(5);
            }
            return ctx.attempt;
          },
        },
      ),
    );
  };

  it('publishes a response again after a blip, so the request completes in the same attempt', async () => {
    const h = createHarness();
    let failures = 1;
    await flakyWorker(h, (r) => r.kind === 'chunk' && r.seq === 1 && failures-- > 0);
    const { id, done } = await h.call('three', null);
    await done;
    // The retried chunk may arrive after the result; the client puts them back in order.
    await sleep(400);
    const list = h.responses.get(id)!;
    expect(list.map((r) => r.attempt)).toEqual([1, 1, 1, 1]);
    expect(list.map((r) => r.seq).sort()).toEqual([0, 1, 2, 3]);
    expect(list.find((r) => r.kind === 'result')).toMatchObject({ data: 1 });
  });

  it('hands a request back for a new attempt when one of its responses cannot be published within the retry window', async () => {
    const h = createHarness();
    // Attempt 1's second chunk never gets through; the deadline bounds the retries.
    await flakyWorker(h, (r) => r.kind === 'chunk' && r.seq === 1 && r.attempt === 1);
    const { id } = await h.call('three', null, { deadline: Date.now() + 1_500 });
    const until = Date.now() + 3_000;
    while (!h.responses.get(id)?.some((r) => r.attempt === 2 && r.kind === 'result') && Date.now() < until) await sleep(20);
    const list = h.responses.get(id)!;
    const second = list.filter((r) => r.attempt === 2);
    expect(second.map((r) => r.kind)).toEqual(['chunk', 'chunk', 'chunk', 'result']);
    expect(final(list)).toMatchObject({ kind: 'result', data: 2 });
  });

  it('validates options and handler names at start-up', async () => {
    const h = createHarness();
    await expect(registerHandlers({ service: 'x', transport: h.workerTransport(), concurrency: 0 }, { a: () => 1 })).rejects.toThrow(/concurrency/);
    await expect(registerHandlers({ service: 'x', transport: h.workerTransport() }, { 'bad name': () => 1 })).rejects.toThrow(/bad name/);
    await expect(registerHandlers({ service: 'x', transport: h.workerTransport() }, {})).rejects.toThrow(/at least one/);
  });
});
