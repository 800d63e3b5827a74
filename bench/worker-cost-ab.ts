// Two checkouts' worker code in one process, rounds alternating between
// them: the host's load (other work on the same cores) then falls on both
// alike, where two processes run one after the other each see their own.
// Fast lane, responses through the transport's fast channel onto amqplib's
// Connection#sendMessage (as worker-cost.ts --fast --amqp); --durable: the
// durable lane, each response encoded as codec.ts would (as worker-cost.ts);
// --durable --amqp: durable responses through the transport's confirming
// publisher onto an amqplib confirm channel (as worker-cost.ts --amqp).
//   bun bench/worker-cost-ab.ts --before dir [--after dir] [--durable [--amqp]] [--n 20000] [--c 64] [--rounds 20]
import { alternate, numberArg, rootArg } from './lib/in-process-ab.ts';
import { workerHarness } from './lib/worker-harness.ts';

const roots = { before: rootArg('before', true), after: rootArg('after') };
const total = numberArg('n', 20_000);
const concurrency = numberArg('c', 64);
const rounds = numberArg('rounds', 20);
const durable = process.argv.includes('--durable');

const setUp = async (root: string) => {
  const worker = await workerHarness(root, { fast: !durable, amqp: !durable || process.argv.includes('--amqp'), concurrency });
  return async (n: number) => (await worker.round(n)).cpuUs / n;
};

await alternate(
  { before: await setUp(roots.before), after: await setUp(roots.after) },
  { rounds, total, warmup: 20_000, what: `µs CPU per ${durable ? 'durable' : 'fast'} request`, digits: 2 },
);
process.exit(0);
