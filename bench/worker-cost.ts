// The worker's CPU per request, in one process and without a broker: the
// worker SDK behind a fake transport (lib/worker-harness.ts). Used for
// docs/decisions/0015 ("The worker (third round)"); run it in two
// checkouts, alternating, or use worker-cost-ab.ts:
//   bun bench/worker-cost.ts [--fast] [--amqp] [--root dir] [--n 200000] [--c 64] [--rounds 5]
// --amqp: responses go through the transport's own publish (responses.ts;
// the fast channel, or with durable ones the confirming publisher on a
// confirm channel) onto a real amqplib channel, encoded into frames by
// amqplib's Connection#sendMessage up to the socket (decision 0019). --root: the worker and transport code of another
// checkout (an A/B "before" tree), run by this harness.
import { numberArg, rootArg } from './lib/in-process-ab.ts';
import { workerHarness } from './lib/worker-harness.ts';

const fast = process.argv.includes('--fast');
const root = rootArg('root');
const total = numberArg('n', 200_000);
const rounds = numberArg('rounds', 5);
const worker = await workerHarness(root, { fast, amqp: process.argv.includes('--amqp'), concurrency: numberArg('c', 64) });

await worker.round(20_000); // warm-up: JIT
const perRequest: number[] = [];
for (let r = 0; r < rounds; r += 1) {
  const { cpuUs, wallMs } = await worker.round(total);
  perRequest.push(cpuUs / total);
  console.log(
    `${fast ? 'fast' : 'durable'} round ${r + 1}: ${(cpuUs / total).toFixed(2)} µs CPU/request, ${((wallMs * 1000) / total).toFixed(2)} µs wall/request`,
  );
}
const sorted = [...perRequest].sort((a, b) => a - b);
console.log(
  `${fast ? 'fast' : 'durable'} median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(2)} µs CPU/request (min ${sorted[0]!.toFixed(2)}, max ${sorted.at(-1)!.toFixed(2)}; ${worker.bytes() > 0 ? 'encoded' : 'nothing encoded'})`,
);
await worker.close();
process.exit(0);
