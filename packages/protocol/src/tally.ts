// Counts by two label values, kept in plain Maps until a metrics registry
// collects them. prom-client's inc() hashes and checks the label set on
// every call, and the gateway and the worker count several times per request
// (docs/decisions/0015-hot-path-costs.md, third round): both count here and
// hand the sums over when scraped. Zod- and prom-client-free, like the rest
// of this package's runtime helpers.

export interface Tally {
  add(a: string, b?: string): void;
  /** Hands over what was counted since the last drain, and forgets it. */
  drain(to: (a: string, b: string, n: number) => void): void;
}

export const createTally = (): Tally => {
  const counts = new Map<string, Map<string, number>>();
  return {
    add(a, b = '') {
      let inner = counts.get(a);
      if (inner === undefined) counts.set(a, (inner = new Map()));
      inner.set(b, (inner.get(b) ?? 0) + 1);
    },
    drain(to) {
      for (const [a, inner] of counts) for (const [b, n] of inner) to(a, b, n);
      counts.clear();
    },
  };
};
