// Two checkouts' worker code in one process, rounds alternating between
// them: the host's load (other work on the same cores) then falls on both
// alike, where two processes run one after the other each see their own.
// Fast lane, responses through the transport's fast channel onto amqplib's
// Connection#sendMessage (as worker-cost.ts --fast --amqp); --durable: the
// durable lane, each response encoded as codec.ts would (as worker-cost.ts);
// --durable --amqp: durable responses through the transport's confirming
// publisher onto an amqplib confirm channel (as worker-cost.ts --amqp).
//   bun bench/worker-cost-ab.ts --before dir [--after dir] [--durable [--amqp]] [--n 20000] [--c 64] [--rounds 20]
import { join } from 'node:path';
import { workerHarness } from './lib/worker-harness.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
};
const beforeArg = process.argv.indexOf('--before');
if (beforeArg < 0) throw new Error('--before dir is required');
const afterArg = process.argv.indexOf('--after');
const roots = { before: process.argv[beforeArg + 1]!, after: afterArg < 0 ? join(import.meta.dirname, '..') : process.argv[afterArg + 1]! };
const total = arg('n', 20_000);
const concurrency = arg('c', 64);
const rounds = arg('rounds', 20);
const durable = process.argv.includes('--durable');

const setUp = async (root: string) => {
  const worker = await workerHarness(root, { fast: !durable, amqp: !durable || process.argv.includes('--amqp'), concurrency });
  return { round: async (n: number) => (await worker.round(n)).cpuUs / n };
};

const trees = { before: await setUp(roots.before), after: await setUp(roots.after) };
for (const tree of Object.values(trees)) await tree.round(20_000); // JIT warm-up
const samples: Record<keyof typeof trees, number[]> = { before: [], after: [] };
for (let r = 0; r < rounds; r += 1) {
  const order = r % 2 === 0 ? (['before', 'after'] as const) : (['after', 'before'] as const);
  for (const name of order) samples[name].push(await trees[name].round(total));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ratios = samples.after.map((a, i) => a / samples.before[i]!);
console.log(
  `µs CPU per ${durable ? 'durable' : 'fast'} request, ${rounds} alternating rounds of ${total}: before median ${median(samples.before).toFixed(2)} (min ${Math.min(...samples.before).toFixed(2)}), after median ${median(samples.after).toFixed(2)} (min ${Math.min(...samples.after).toFixed(2)}); after/before per round: median ${median(ratios).toFixed(3)}, lower in ${ratios.filter((x) => x < 1).length} of ${rounds}`,
);
process.exit(0);
