import { describe, expect, it } from 'vitest';
import { createHistogramTally } from '../src/index.ts';

const line = (v: { labels: Record<string, string | number>; value: number; metricName: string }) =>
  `${v.metricName}{${Object.entries(v.labels)
    .map(([k, x]) => `${k}="${x}"`)
    .join(',')}} ${v.value}`;

describe('createHistogramTally', () => {
  it('counts observations into cumulative buckets, with sum and count per label set', async () => {
    const h = createHistogramTally({ name: 'd', help: 'h', labelNames: ['type', 'outcome'], buckets: [1, 0.1] });
    h.observe(0.05, 'echo', 'ok');
    h.observe(0.1, 'echo', 'ok'); // on a bound: in that bucket, as Prometheus's `le`
    h.observe(0.5, 'echo', 'ok');
    h.observe(7, 'echo', 'ok'); // above every bound: only in +Inf
    h.observe(0.2, 'echo', 'TIMEOUT');
    h.observe(Number.NaN, 'echo', 'ok'); // ignored
    const metric = await h.metric.get();
    expect(metric).toMatchObject({ name: 'd', help: 'h', type: 'histogram', aggregator: 'sum' });
    expect(metric.values.map(line)).toEqual([
      'd_bucket{le="0.1",type="echo",outcome="ok"} 2',
      'd_bucket{le="1",type="echo",outcome="ok"} 3',
      'd_bucket{le="+Inf",type="echo",outcome="ok"} 4',
      'd_sum{type="echo",outcome="ok"} 7.65',
      'd_count{type="echo",outcome="ok"} 4',
      'd_bucket{le="0.1",type="echo",outcome="TIMEOUT"} 0',
      'd_bucket{le="1",type="echo",outcome="TIMEOUT"} 1',
      'd_bucket{le="+Inf",type="echo",outcome="TIMEOUT"} 1',
      'd_sum{type="echo",outcome="TIMEOUT"} 0.2',
      'd_count{type="echo",outcome="TIMEOUT"} 1',
    ]);
  });

  it('takes one label name, keeps counting across reads, and forgets on reset', async () => {
    const h = createHistogramTally({ name: 'w', help: 'h', labelNames: ['type'], buckets: [1] });
    h.observe(0.5, 'echo');
    await h.metric.get();
    h.observe(2, 'echo');
    expect((await h.metric.get()).values.map(line)).toEqual([
      'w_bucket{le="1",type="echo"} 1',
      'w_bucket{le="+Inf",type="echo"} 2',
      'w_sum{type="echo"} 2.5',
      'w_count{type="echo"} 2',
    ]);
    h.metric.reset();
    expect((await h.metric.get()).values).toEqual([]);
  });
});
