// The request counters count in plain Maps between scrapes: each scrape shows
// every count so far, once, however many scrapes there are.
import { describe, expect, it } from 'vitest';
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
});
