// The request counters count in plain Maps between scrapes: each scrape shows
// every count so far, once, however many scrapes there are.
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createHistogramTally } from '@warren/protocol';
import { createMemoryBroker, memoryTransport } from '@warren/transport';
import { createGatewayMetrics } from '../src/metrics.ts';

const sample = (text: string, name: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
};

describe('gateway metrics', () => {
  it('shows counts made between scrapes on the next scrape, each once, and keeps them after', async () => {
    const metrics = createGatewayMetrics({ transport: memoryTransport(createMemoryBroker()), connectedSockets: () => 0, inFlight: () => 0 });
    for (let i = 0; i < 3; i++) metrics.accepted('echo');
    metrics.chunk('echo');
    metrics.finished('echo', 'ok', 0.01);
    metrics.finished('echo', 'TIMEOUT', 0.5);
    metrics.rejected('INVALID_REQUEST');
    let text = await metrics.render();
    expect(sample(text, 'warren_gateway_requests_accepted_total{type="echo"}')).toBe(3);
    expect(sample(text, 'warren_gateway_chunks_total{type="echo"}')).toBe(1);
    expect(sample(text, 'warren_gateway_requests_total{type="echo",outcome="ok"}')).toBe(1);
    expect(sample(text, 'warren_gateway_requests_total{type="echo",outcome="TIMEOUT"}')).toBe(1);
    expect(sample(text, 'warren_gateway_requests_total{type="other",outcome="INVALID_REQUEST"}')).toBe(1);
    expect(sample(text, 'warren_gateway_request_duration_seconds_count{type="echo",outcome="ok"}')).toBe(1);
    text = await metrics.render();
    expect(sample(text, 'warren_gateway_requests_accepted_total{type="echo"}')).toBe(3);
    metrics.accepted('echo');
    metrics.finished('echo', 'ok', 0.01);
    text = await metrics.render();
    expect(sample(text, 'warren_gateway_requests_accepted_total{type="echo"}')).toBe(4);
    expect(sample(text, 'warren_gateway_requests_total{type="echo",outcome="ok"}')).toBe(2);
    // The console's overview reads the same numbers through prom-client's get().
    const values = (await metrics.prometheus.getSingleMetric('warren_gateway_requests_accepted_total')?.get())?.values;
    expect(values?.map((v) => v.value)).toEqual([4]);
  });

  it("exposes the histograms (createHistogramTally) exactly as prom-client's Histogram did", async () => {
    const buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
    const observations: Array<[number, string, string]> = [
      [0.003, 'echo', 'ok'],
      [0.01, 'echo', 'ok'],
      [0.7, 'echo', 'ok'],
      [75, 'echo', 'ok'],
      [0.02, 'chat', 'TIMEOUT'],
      [0.02, 'echo', 'TIMEOUT'],
    ];
    const theirs = new Registry();
    const histogram = new Histogram({ name: 'd_seconds', help: 'h', labelNames: ['type', 'outcome'] as const, buckets, registers: [theirs] });
    const ours = new Registry();
    const tally = createHistogramTally({ name: 'd_seconds', help: 'h', labelNames: ['type', 'outcome'], buckets });
    ours.registerMetric(tally.metric as never);
    for (const [value, type, outcome] of observations) {
      histogram.observe({ type, outcome }, value);
      tally.observe(value, type, outcome);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    // The console's overview reads sums and counts through get(), by metricName.
    const pick = async (r: Registry) =>
      (((await r.getSingleMetric('d_seconds')?.get())?.values ?? []) as Array<{ metricName?: string; value: number; labels: object }>).map((v) => [
        v.metricName,
        v.value,
        { ...v.labels },
      ]);
    expect(await pick(ours)).toEqual(await pick(theirs));
  });
});
