// A Prometheus histogram by one or two label values, kept in plain Maps and
// read as a metric by a prom-client Registry (registerMetric). prom-client's
// Histogram.observe() checks the label set, hashes it into a string and looks
// it up on every call: with the per-observe bucket search that was ≈ 1.7 % of
// the gateway's and ≈ 2 % of the worker's CPU per fast echo (issue 16,
// docs/decisions/0019-fast-lane-costs.md). Here an observation is two Map
// lookups and a bucket search; the exposition is the same text. Like
// tally.ts, free of prom-client: the metric is the plain object a Registry
// asks for (name, help, type, get, reset).

/** One line of a histogram, as prom-client's Registry formats it. */
interface HistogramValue {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
}

export interface HistogramMetric {
  readonly name: string;
  readonly help: string;
  readonly type: 'histogram';
  readonly aggregator: 'sum';
  get(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: HistogramValue[] }>;
  reset(): void;
}

export interface HistogramTally {
  /** Counts `value` (finite; anything else is ignored) under the label values `a` and, with two label names, `b`. */
  observe(value: number, a: string, b?: string): void;
  /** Register with a prom-client Registry: `registry.registerMetric(tally.metric)`. */
  readonly metric: HistogramMetric;
}

interface Cell {
  labels: Record<string, string>;
  /** Per bucket, not cumulative; observations above the last bound are only in `count`. */
  counts: number[];
  sum: number;
  count: number;
}

export const createHistogramTally = (options: {
  name: string;
  help: string;
  labelNames: readonly [string] | readonly [string, string];
  buckets: readonly number[];
}): HistogramTally => {
  const { name, help } = options;
  const [labelA, labelB] = options.labelNames;
  const bounds = [...options.buckets].sort((x, y) => x - y);
  const cells = new Map<string, Map<string, Cell>>();
  /** Every cell in the order it was first observed: the order prom-client lists label sets in. */
  const order: Cell[] = [];
  const values = (): HistogramValue[] => {
    const out: HistogramValue[] = [];
    for (const { labels, counts, sum, count } of order) {
      let cumulative = 0;
      bounds.forEach((le, i) => {
        cumulative += counts[i]!;
        out.push({ labels: { le, ...labels }, value: cumulative, metricName: `${name}_bucket` });
      });
      out.push(
        { labels: { le: '+Inf', ...labels }, value: count, metricName: `${name}_bucket` },
        { labels: { ...labels }, value: sum, metricName: `${name}_sum` },
        { labels: { ...labels }, value: count, metricName: `${name}_count` },
      );
    }
    return out;
  };
  return {
    observe(value, a, b = '') {
      if (!Number.isFinite(value)) return;
      let inner = cells.get(a);
      if (inner === undefined) cells.set(a, (inner = new Map()));
      let cell = inner.get(b);
      if (cell === undefined) {
        const labels: Record<string, string> = labelB === undefined ? { [labelA]: a } : { [labelA]: a, [labelB]: b };
        inner.set(b, (cell = { labels, counts: bounds.map(() => 0), sum: 0, count: 0 }));
        order.push(cell);
      }
      let i = 0;
      while (i < bounds.length && value > bounds[i]!) i++;
      if (i < bounds.length) cell.counts[i]!++;
      cell.sum += value;
      cell.count++;
    },
    metric: {
      name,
      help,
      type: 'histogram',
      aggregator: 'sum',
      get: async () => ({ name, help, type: 'histogram', aggregator: 'sum', values: values() }),
      reset() {
        cells.clear();
        order.length = 0;
      },
    },
  };
};
