// One cell of the table: a fresh load client at concurrency C against a
// running system, warmed up, then measured over a window whose edges are
// also the CPU snapshots of every process involved.
import { performance } from 'node:perf_hooks';
import type { Running, Role } from '../systems.ts';
import { cpuDelta, snapshot } from './proc-stat.ts';
import { spawnChild, sleep, type Runtime } from './spawn.ts';
import { percentile, sorted } from './stats.ts';
import { WORKLOADS } from './workloads.ts';

export interface Timing {
  warmupMs: number;
  measureMs: number;
}

export interface CellResult {
  system: string;
  workload: string;
  concurrency: number;
  completed: number;
  reqPerSec: number;
  p50: number;
  p99: number;
  ttfcP50: number;
  chunksPerSec: number;
  /** CPU ms per request, by process role. */
  cpuPerReq: Partial<Record<Role, number>>;
  /** Share of one core each process was busy in the window (1 = a core; Node and Bun run JavaScript on one thread, so a client near 1 is the bottleneck). */
  cpuBusy: Partial<Record<Role, number>>;
  errors: number;
  firstError?: string;
}

export const runCell = async (
  systemId: string,
  running: Running,
  workloadName: string,
  concurrency: number,
  timing: Timing,
  runtime: Runtime,
): Promise<CellResult> => {
  const workload = WORKLOADS[workloadName]!;
  const spec = {
    url: running.url,
    concurrency,
    workload: workloadName,
    hardStopMs: timing.warmupMs + timing.measureMs + 60_000,
    maxRequests: 10_000_000,
  };
  const client = spawnChild(
    `${systemId} client`,
    runtime,
    running.client.file,
    { ...running.client.env, BENCH_SPEC: JSON.stringify(spec) },
    // Profiled too (BENCH_PROFILE_DIR): the client's CPU is part of each request's cost.
    { profile: true, ...(running.client.root === undefined ? {} : { root: running.client.root }) },
  );
  try {
    await client.waitFor((line) => line.ev === 'ready', 60_000);
    const pids = { client: client.pid, ...running.pids } as Record<string, number>;
    client.send({ cmd: 'go' });
    await sleep(timing.warmupMs);
    const before = snapshot(pids);
    const openedAt = performance.now();
    client.send({ cmd: 'mark' });
    await sleep(timing.measureMs);
    const after = snapshot(pids);
    const windowMs = performance.now() - openedAt;
    client.send({ cmd: 'stop' });
    const result = await client.waitFor((line) => line.ev === 'result', 30_000);
    client.send({ cmd: 'exit' });
    const cpu = cpuDelta(before, after);
    const latencies = sorted(result.latencies as number[]);
    const seconds = Number(result.windowMs) / 1000;
    const chunks = Number(result.chunks);
    const completed = latencies.length;
    // Long streams may finish few requests inside a window; their chunks say how much work was done.
    const work = workload.chunks > 0 ? Math.max(completed, chunks / workload.chunks) : completed;
    const cpuPerReq: Partial<Record<Role, number>> = {};
    const cpuBusy: Partial<Record<Role, number>> = {};
    for (const [role, ms] of Object.entries(cpu)) {
      cpuPerReq[role as Role] = work > 0 ? ms / work : Number.NaN;
      cpuBusy[role as Role] = ms / windowMs;
    }
    return {
      system: systemId,
      workload: workloadName,
      concurrency,
      completed,
      reqPerSec: completed / seconds,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      ttfcP50: workload.chunks > 0 ? percentile(sorted(result.firstChunk as number[]), 50) : Number.NaN,
      chunksPerSec: chunks / seconds,
      cpuPerReq,
      cpuBusy,
      errors: Number(result.errors),
      ...(result.firstError ? { firstError: String(result.firstError) } : {}),
    };
  } finally {
    // Lets the client finish its in-flight calls, so the next cell starts on a quiet system.
    await client.waitExit(15_000);
    await client.stop();
  }
};
