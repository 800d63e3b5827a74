// What the in-process cost scripts share (client-cost.ts, worker-cost.ts,
// worker-cost-ab.ts, receive-cost-ab.ts): their numeric flags, the
// checkout they load code from, and for the A/B ones the rounds
// alternating between two trees in one process, so the host's load falls
// on both alike.
import { join } from 'node:path';

/** `--name n`, or `fallback`. */
export const numberArg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
};

/** The checkout named by `--flag dir`: this one when the flag is absent, unless it is required. */
export const rootArg = (flag: string, required = false): string => {
  const i = process.argv.indexOf(`--${flag}`);
  if (i < 0 && required) throw new Error(`--${flag} dir is required`);
  return i < 0 ? join(import.meta.dirname, '..', '..') : process.argv[i + 1]!;
};

type Round = (n: number) => number | Promise<number>;

/**
 * One warm-up round of `warmup` for each tree, then `rounds` rounds of
 * `total`, the order alternating; prints medians, minimums and the per-round
 * ratio after ÷ before, each figure what `measure` returned (CPU per request).
 */
export const alternate = async (
  trees: { before: Round; after: Round },
  { rounds, total, warmup, what, digits }: { rounds: number; total: number; warmup: number; what: string; digits: number },
): Promise<void> => {
  for (const tree of Object.values(trees)) await tree(warmup); // JIT warm-up
  const samples: Record<keyof typeof trees, number[]> = { before: [], after: [] };
  for (let r = 0; r < rounds; r += 1) {
    const order = r % 2 === 0 ? (['before', 'after'] as const) : (['after', 'before'] as const);
    for (const name of order) samples[name].push(await trees[name](total));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const ratios = samples.after.map((a, i) => a / samples.before[i]!);
  const shown = (xs: number[]) => `median ${median(xs).toFixed(digits)} (min ${Math.min(...xs).toFixed(digits)})`;
  console.log(
    `${what}, ${rounds} alternating rounds of ${total}: before ${shown(samples.before)}, after ${shown(samples.after)}; after/before per round: median ${median(ratios).toFixed(3)}, lower in ${ratios.filter((x) => x < 1).length} of ${rounds}`,
  );
};
