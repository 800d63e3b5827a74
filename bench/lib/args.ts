// Command line of `npm run bench`. Every option has a default; --quick picks
// a CI-sized subset that finishes in well under a minute.
import { parseArgs } from 'node:util';
import type { Runtime } from './spawn.ts';

export interface BenchArgs {
  quick: boolean;
  systems: string[];
  workloads: string[];
  concurrency: number[];
  warmupMs: number;
  measureMs: number;
  scale: boolean;
  scaleConnections: number;
  runtime: Runtime;
  out: string | undefined;
}

const list = (value: string | undefined) =>
  value
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export const parseBenchArgs = (argv: string[]): BenchArgs => {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      systems: { type: 'string' },
      workloads: { type: 'string' },
      concurrency: { type: 'string' },
      'warmup-ms': { type: 'string' },
      'measure-ms': { type: 'string' },
      'no-scale': { type: 'boolean', default: false },
      'scale-connections': { type: 'string' },
      runtime: { type: 'string', default: 'bun' },
      out: { type: 'string' },
    },
  });
  const quick = values.quick ?? false;
  const runtime = values.runtime === 'node' ? 'node' : 'bun';
  const before = process.env.BENCH_BEFORE_ROOT ? ['warren-before', 'warren-fast-before'] : [];
  return {
    quick,
    systems:
      list(values.systems) ??
      (quick
        ? ['warren', ...before, 'warren-fast', 'socket', 'amqp', 'naive', 'bullmq']
        : ['warren', ...before, 'warren-node', 'warren-fast', 'socket', 'amqp', 'amqp-guarantees', 'naive', 'naive-durable', 'bullmq']),
    workloads: list(values.workloads) ?? (quick ? ['echo-100B', 'stream-10'] : ['echo-100B', 'stream-10', 'stream-1000', 'echo-1MB']),
    concurrency: list(values.concurrency)?.map(Number) ?? [1, 64],
    warmupMs: Number(values['warmup-ms'] ?? (quick ? 250 : 800)),
    measureMs: Number(values['measure-ms'] ?? (quick ? 800 : 2500)),
    scale: !(values['no-scale'] ?? false),
    scaleConnections: Number(values['scale-connections'] ?? (quick ? 1000 : 10_000)),
    runtime,
    out: values.out,
  };
};
