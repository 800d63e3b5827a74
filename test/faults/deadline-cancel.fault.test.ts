// Faults 6 and 7: a deadline passes while no worker runs (the request must
// time out on time and never execute later), and 20 long tasks cancelled
// mid-way (each handler must observe the abort within a second).
import { describe, expect, it } from 'vitest';
import { sleep, useStack } from './stack.ts';

describe('deadlines and cancellation', () => {
  const stack = useStack('fdead');

  it('6. with workers stopped, a 2 s request times out at 2 s ± 0.5 s and is not executed when they return', async () => {
    const { url } = await stack.gateway();
    const first = await stack.worker(); // declares the queue, then goes away
    await first.kill('SIGTERM');
    const backend = stack.backend(url);
    const started = Date.now();
    const outcome = await backend.makeBackendRequest('testRequest', { count: 1, delayMs: 0 }, { timeoutMs: 2000 }).then(
      () => 'ok',
      (e: { code: string }) => e.code,
    );
    const elapsed = Date.now() - started;
    console.log(`[fault] deadline: ${outcome} after ${elapsed} ms with no worker running`);
    expect(outcome).toBe('TIMEOUT');
    expect(Math.abs(elapsed - 2000)).toBeLessThanOrEqual(500);
    const back = await stack.worker();
    await sleep(1500);
    const ran = back
      .output()
      .split('\n')
      .filter((l) => l.includes('"request finished"'));
    expect(ran, 'the expired request must not run').toEqual([]);
    await back.kill('SIGTERM'); // the next case counts its own worker's handlers
  });

  it.each(['node', 'python'])('7. 20 long tasks cancelled mid-way on a %s worker: every handler observes the abort within 1 s', async (language) => {
    const { url } = await stack.gateway();
    const worker = language === 'node' ? await stack.worker(undefined, { WORKER_CONCURRENCY: '30' }) : await stack.pythonWorker({ WORKER_CONCURRENCY: '30' });
    const backend = stack.backend(url);
    const controllers = Array.from({ length: 20 }, () => new AbortController());
    const runs = controllers.map((_, i) =>
      backend.makeBackendRequest('longTask', { steps: 100, stepMs: 100 }, { signal: controllers[i]!.signal, timeoutMs: 60_000 }).then(
        () => 'ok',
        (e: { code: string }) => e.code,
      ),
    );
    // Cancel only once every handler runs (a request cancelled while still
    // queued is skipped, never started: a different case, covered elsewhere).
    const started = () =>
      worker
        .output()
        .split('\n')
        .filter((l) => l.includes('longTask started')).length;
    const until = Date.now() + 15_000;
    while (started() < 20 && Date.now() < until) await sleep(100);
    expect(started()).toBe(20);
    await sleep(300);
    const cancelledAt = Date.now();
    controllers.forEach((c) => c.abort());
    const outcomes = await Promise.all(runs);
    expect(outcomes).toEqual(Array(20).fill('CANCELLED'));
    await sleep(1500);
    const stops = worker
      .output()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg?: string; time?: number })
      .filter((l) => l.msg?.startsWith('longTask stopped at step'));
    const lags = stops.map((l) => l.time! - cancelledAt);
    console.log(`[fault] cancel (${language}): ${stops.length} handlers stopped; slowest ${Math.max(...lags)} ms after the cancel`);
    expect(stops).toHaveLength(20);
    for (const lag of lags) expect(lag).toBeLessThan(1000);
    await worker.kill('SIGTERM');
  });
});
