// The handler runtime workers and gateway-local handlers share: ctx, the
// abort race, the deadline, and what a throw becomes on the wire.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createWarrenError, startHandlerRun, type RunFields } from '../src/index.ts';

const fields = (deadline?: number): RunFields => ({ id: 'r1', type: 't', attempt: 1, principal: { sub: 'ada' }, deadline, traceparent: undefined });
const host = (sent: unknown[] = []) => ({ log: () => 'log', sendChunk: async (data: unknown) => void sent.push(data) });

describe('handler runtime', () => {
  it('gives the handler its ctx and answers with its JSON result', async () => {
    const sent: unknown[] = [];
    const run = startHandlerRun(fields(), host(sent));
    const outcome = await run.settle(
      async (payload, ctx) => {
        await ctx.sendChunk({ got: payload });
        return { id: ctx.id, sub: ctx.principal?.sub, log: ctx.log, left: ctx.remainingMs() };
      },
      7,
      () => {},
    );
    expect(sent).toEqual([{ got: 7 }]);
    // With its JSON text (what the worker's message body reuses): Infinity is null there, as on the wire.
    expect(outcome).toEqual({
      kind: 'result',
      data: { id: 'r1', sub: 'ada', log: 'log', left: Infinity },
      dataJson: '{"id":"r1","sub":"ada","log":"log","left":null}',
    });
  });

  it('answers on abort even when the handler ignores its signal, and refuses chunks after it', async () => {
    const run = startHandlerRun(fields(), host());
    let late: unknown;
    const settled = run.settle(
      (_p, ctx) =>
        new Promise(() => {
          setTimeout(() => ctx.sendChunk(1).catch((e: unknown) => (late = e)), 5);
        }),
      null,
      () => {},
    );
    run.abort(createWarrenError('CANCELLED', 'The request was cancelled.'));
    expect(await settled).toEqual({ kind: 'error', error: { code: 'CANCELLED', message: 'The request was cancelled.' } });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(late).toMatchObject({ code: 'CANCELLED' });
  });

  it('makes the signal on first read: aborted with the first reason, whether read before or after the abort', async () => {
    const run = startHandlerRun(fields(), host());
    expect(run.reason()).toBeUndefined();
    const before = run.ctx.signal;
    const heard: unknown[] = [];
    before.addEventListener('abort', () => heard.push(before.reason));
    const cancelled = createWarrenError('CANCELLED', 'The request was cancelled.');
    run.abort(cancelled);
    run.abort(createWarrenError('TIMEOUT', 'too late'));
    expect(heard).toEqual([cancelled]);
    expect(run.reason()).toBe(cancelled);
    expect(run.ctx.signal).toBe(before);

    const late = startHandlerRun(fields(), host());
    late.abort(cancelled);
    expect(late.ctx.signal.aborted).toBe(true);
    expect(late.ctx.signal.reason).toBe(cancelled);
    expect(late.signal).toBe(late.ctx.signal);
    // Settled after the abort, it answers with it (both hosts call settle at once, so only a direct caller can see this).
    expect(
      await late.settle(
        () => 'ignored',
        null,
        () => {},
      ),
    ).toEqual({ kind: 'error', error: { code: 'CANCELLED', message: 'The request was cancelled.' } });
  });

  it('answers a synchronous handler with its value or its throw, and with the abort when it aborted meanwhile', async () => {
    expect(
      await startHandlerRun(fields(), host()).settle(
        (p) => ({ echo: p }),
        3,
        () => {},
      ),
    ).toEqual({ kind: 'result', data: { echo: 3 }, dataJson: '{"echo":3}' });
    const refused = createWarrenError('INVALID_PAYLOAD', 'no');
    expect(
      await startHandlerRun(fields(), host()).settle(
        () => {
          throw refused;
        },
        null,
        () => {},
      ),
    ).toEqual({ kind: 'error', error: { code: 'INVALID_PAYLOAD', message: 'no' } });
    const run = startHandlerRun(fields(), host());
    const cancelled = createWarrenError('CANCELLED', 'The request was cancelled.');
    const outcome = await run.settle(
      () => {
        run.abort(cancelled);
        return 'too late';
      },
      null,
      () => {},
    );
    expect(outcome).toEqual({ kind: 'error', error: { code: 'CANCELLED', message: 'The request was cancelled.' } });
  });

  it('times out at the deadline', async () => {
    const run = startHandlerRun(fields(Date.now() + 20), host());
    const outcome = await run.settle(
      () => new Promise(() => {}),
      null,
      () => {},
    );
    expect(outcome).toMatchObject({ kind: 'error', error: { code: 'TIMEOUT' } });
  });

  describe('the deadline timer', () => {
    afterEach(() => vi.useRealTimers());

    it('is armed when the handler returns a promise, to fire at the deadline itself', async () => {
      vi.useFakeTimers();
      let clock = 0;
      const run = startHandlerRun(fields(1000), { ...host(), now: () => clock });
      let timersWhileRunning = -1;
      const settled = run.settle(
        () => {
          timersWhileRunning = vi.getTimerCount();
          clock = 990; // the handler spent 990 ms before handing back its promise
          return new Promise(() => {});
        },
        null,
        () => {},
      );
      await vi.advanceTimersByTimeAsync(0);
      // None while it ran synchronously: a timer cannot fire before it returns.
      expect(timersWhileRunning).toBe(0);
      expect(vi.getTimerCount()).toBe(1);
      await vi.advanceTimersByTimeAsync(9);
      expect(run.reason()).toBeUndefined();
      await vi.advanceTimersByTimeAsync(1);
      expect(await settled).toMatchObject({ kind: 'error', error: { code: 'TIMEOUT' } });
      expect(vi.getTimerCount()).toBe(0);
    });

    it('is never armed for a synchronous handler, nor for a run already aborted', async () => {
      vi.useFakeTimers();
      const sync = startHandlerRun(fields(Date.now() + 1000), host());
      expect(
        await sync.settle(
          () => vi.getTimerCount(),
          null,
          () => {},
        ),
      ).toMatchObject({ kind: 'result', data: 0 });
      const aborted = startHandlerRun(fields(Date.now() + 1000), host());
      aborted.abort(createWarrenError('CANCELLED', 'The request was cancelled.'));
      let timers = -1;
      const outcome = aborted.settle(
        () => {
          queueMicrotask(() => (timers = vi.getTimerCount()));
          return new Promise(() => {});
        },
        null,
        () => {},
      );
      expect(await outcome).toMatchObject({ kind: 'error', error: { code: 'CANCELLED' } });
      expect(timers).toBe(0);
    });
  });

  it('sends a WarrenError as it is, and anything else as a generic WORKER_ERROR with a reference', async () => {
    const failures: Array<[unknown, string]> = [];
    const own = await startHandlerRun(fields(), host()).settle(
      () => {
        throw createWarrenError('FORBIDDEN', 'Not yours.');
      },
      null,
      () => {},
    );
    expect(own).toEqual({ kind: 'error', error: { code: 'FORBIDDEN', message: 'Not yours.' } });
    const secret = new Error('postgres://admin:hunter2@db');
    const other = await startHandlerRun(fields(), host()).settle(
      () => {
        throw secret;
      },
      null,
      (reason, reference) => failures.push([reason, reference]),
    );
    expect(other).toMatchObject({ kind: 'error', error: { code: 'WORKER_ERROR', details: { reference: failures[0]![1] } } });
    expect(JSON.stringify(other)).not.toContain('hunter2');
    expect(failures[0]![0]).toBe(secret);
  });

  it('refuses a result that is not JSON, and turns undefined into null', async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(
      await startHandlerRun(fields(), host()).settle(
        () => cyclic,
        null,
        () => {},
      ),
    ).toMatchObject({
      kind: 'error',
      error: { code: 'WORKER_ERROR', message: expect.stringContaining('not JSON-serialisable') },
    });
    expect(
      await startHandlerRun(fields(), host()).settle(
        () => undefined,
        null,
        () => {},
      ),
    ).toEqual({ kind: 'result', data: null, dataJson: 'null' });
  });
});
