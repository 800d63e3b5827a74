import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createWarrenError, registerHandlers, type WorkerHandle } from '@warren/worker';
import { createHarness, quietLog } from './harness.ts';

const handles: WorkerHandle[] = [];
afterEach(async () => {
  await Promise.all(handles.splice(0).map((w) => w.close()));
});

const sample = (text: string, name: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
};

describe('worker metrics', () => {
  it('counts requests by type and outcome, chunks and latency after a known load, served on metricsPort', async () => {
    const h = createHarness();
    const worker = await registerHandlers(
      { service: 'm', transport: h.workerTransport(), log: quietLog, metricsPort: 0, metricsHost: '127.0.0.1' },
      {
        stream: async (n: number, ctx) => {
          for (let i = 0; i < n; i++) await ctx.sendChunk(i);
          return n;
        },
        fail: () => {
          throw createWarrenError('INVALID_PAYLOAD', 'nope');
        },
      },
    );
    handles.push(worker);
    const runs = [];
    for (let i = 0; i < 4; i++) runs.push((await h.call('stream', 3)).done);
    runs.push((await h.call('fail', null)).done);
    await Promise.all(runs);
    await new Promise((r) => setTimeout(r, 20)); // the run settles just after its final is confirmed

    expect(worker.metrics.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const text = await (await fetch(worker.metrics.url!)).text();
    expect(sample(text, 'warren_worker_requests_total{type="stream",outcome="ok"}')).toBe(4);
    expect(sample(text, 'warren_worker_requests_total{type="fail",outcome="INVALID_PAYLOAD"}')).toBe(1);
    expect(sample(text, 'warren_worker_chunks_total{type="stream"}')).toBe(12);
    expect(sample(text, 'warren_worker_request_duration_seconds_count{type="stream",outcome="ok"}')).toBe(4);
    expect(sample(text, 'warren_worker_requests_in_flight{type="stream"}')).toBe(0);
    expect(sample(text, 'warren_worker_broker_connected')).toBe(1);
    expect(await worker.metrics.prometheus.metrics()).toContain('warren_worker_requests_total');
  });

  it('keeps metrics in the registry without serving them unless metricsPort is set', async () => {
    const h = createHarness();
    const worker = await registerHandlers({ service: 'm', transport: h.workerTransport(), log: quietLog }, { ping: () => 'pong' });
    handles.push(worker);
    expect(worker.metrics.url).toBeUndefined();
    await (await h.call('ping', null)).done;
    await new Promise((r) => setTimeout(r, 20));
    expect(await worker.metrics.prometheus.metrics()).toContain('warren_worker_requests_total{type="ping",outcome="ok"} 1');
  });

  it('refuses a bad metricsPort at start-up, naming it', async () => {
    const h = createHarness();
    await expect(registerHandlers({ service: 'm', transport: h.workerTransport(), log: quietLog, metricsPort: 70_000 }, { ping: () => 1 })).rejects.toThrow(
      /metricsPort/,
    );
  });

  it('puts the traceparent on every log line of a request', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _e, done) {
        lines.push(JSON.parse(chunk.toString()));
        done();
      },
    });
    const h = createHarness();
    handles.push(
      await registerHandlers(
        { service: 'm', transport: h.workerTransport(), log: pino({ level: 'info' }, sink) },
        {
          ping: (_p, ctx) => {
            ctx.log.info('inside the handler');
            return 'pong';
          },
        },
      ),
    );
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const { id, done } = await h.call('ping', null, { traceparent });
    await done;
    const mine = lines.filter((l) => l.requestId === id);
    expect(mine.map((l) => l.msg)).toContain('inside the handler');
    for (const line of mine) expect(line.traceparent).toBe(traceparent);
  });
});
