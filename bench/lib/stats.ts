// Percentiles over raw samples: a window holds at most a few hundred thousand
// latencies, so sorting a copy is cheaper to trust than a histogram.
export const sorted = (values: readonly number[]): Float64Array => Float64Array.from(values).sort();

export const percentile = (ordered: ArrayLike<number>, p: number): number => {
  if (ordered.length === 0) return Number.NaN;
  const rank = Math.min(ordered.length - 1, Math.max(0, Math.ceil((p / 100) * ordered.length) - 1));
  return ordered[rank]!;
};
