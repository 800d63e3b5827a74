// `npm run bench` (full, < 5 min) and `npm run bench -- --quick` (< 1 min):
// Warren against the socket floor, the broker floor and the BullMQ relay,
// all measured in this one run on this machine, then the idle-connection
// scale test. Prints markdown; writes it and the raw figures to
// test-artifacts/bench/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBenchArgs } from './lib/args.ts';
import { runCell, type CellResult } from './lib/cell.ts';
import { ratiosTable, resultsTable, scaleTable, targets, targetsTable, type ScaleResult } from './lib/report.ts';
import { root } from './lib/spawn.ts';
import { runScale } from './scale.ts';
import { SYSTEMS } from './systems.ts';

const args = parseBenchArgs(process.argv.slice(2));
const started = Date.now();
const log = (msg: string) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}\n`);

/** The Node gateway is compared where it matters most: under load. */
const cellsFor = (systemId: string) =>
  args.workloads.flatMap((workload) =>
    args.concurrency.filter((c) => systemId !== 'warren-node' || c > 1 || args.concurrency.length === 1).map((c) => ({ workload, c })),
  );

const withRetry = async <T>(what: string, attempt: () => Promise<T>, tries = 2): Promise<T> => {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      // The fault suite may be restarting RabbitMQ under us: try once more.
      if (i >= tries) throw error;
      log(`${what} failed (${(error as Error).message.split('\n')[0]}); retrying`);
    }
  }
};

const cells: CellResult[] = [];
const labels: Record<string, string> = {};
// In the order --systems names them, so an A/B can alternate which tree runs first.
const chosen = args.systems.flatMap((id) => SYSTEMS.filter((s) => s.id === id));
for (const system of chosen) {
  labels[system.id] = system.label;
  log(`starting ${system.label}`);
  const running = await withRetry(`starting ${system.id}`, () => system.start(args.runtime));
  try {
    for (const { workload, c } of cellsFor(system.id)) {
      const cell = await withRetry(`${system.id} ${workload} C=${c}`, () =>
        runCell(system.id, running, workload, c, { warmupMs: args.warmupMs, measureMs: args.measureMs }, args.runtime),
      );
      log(
        `${system.id} ${workload} C=${c}: ${cell.reqPerSec.toFixed(0)} req/s, p50 ${cell.p50.toFixed(2)} ms, ${cell.chunksPerSec.toFixed(0)} chunks/s, errors ${cell.errors}`,
      );
      cells.push(cell);
    }
  } finally {
    await running.close();
  }
}

let scale: ScaleResult | undefined;
if (args.scale) {
  log(`scale: up to ${args.scaleConnections} idle connections`);
  scale = await withRetry('scale test', () => runScale({ connections: args.scaleConnections, runtime: args.runtime, quick: args.quick, log }));
}

// Rows grouped by workload and C, so each system sits beside its baselines.
const order = (id: string) => args.systems.indexOf(id);
cells.sort(
  (a, b) => args.workloads.indexOf(a.workload) - args.workloads.indexOf(b.workload) || a.concurrency - b.concurrency || order(a.system) - order(b.system),
);
const markdown = [
  `## Results (${args.quick ? 'quick' : 'full'} run, ${new Date().toISOString().slice(0, 16)}Z, ${((Date.now() - started) / 1000).toFixed(0)} s)`,
  '',
  resultsTable(cells, labels),
  '',
  '### Warren ÷ baselines (same run)',
  '',
  ratiosTable(cells, ['warren', 'warren-before', 'warren-node', 'warren-classic', 'warren-fast', 'warren-fast-before']),
  ...(scale ? ['', '### Idle connections', '', scaleTable(scale)] : []),
  '',
  '### Targets',
  '',
  targetsTable(targets(cells, scale)),
  '',
].join('\n');
console.log(markdown);
const dir = args.out ?? join(root, 'test-artifacts', 'bench');
mkdirSync(dir, { recursive: true });
// A run of a subset (--systems, --workloads, …) must not overwrite the last full run.
const partial = process.argv.slice(2).some((a, i, all) => !a.startsWith('--quick') && !a.startsWith('--out') && all[i - 1] !== '--out');
const name = partial ? 'partial' : args.quick ? 'quick' : 'full';
writeFileSync(join(dir, `${name}.md`), markdown);
writeFileSync(join(dir, `${name}.json`), JSON.stringify({ args, cells, scale }, null, 2));
log(`done; written to ${join(dir, `${name}.md`)}`);
process.exit(0);
