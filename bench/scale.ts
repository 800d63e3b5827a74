// Idle-connection scale: one Warren gateway holding N idle WebSocket
// connections (several holder processes, loopback only), its RSS per
// connection, and a probe's request latency at 100 vs N connected.
import { SYSTEMS } from './systems.ts';
import { runCell, type Timing } from './lib/cell.ts';
import { rssBytes } from './lib/proc-stat.ts';
import { spawnChild, sleep, type Child, type Runtime } from './lib/spawn.ts';
import type { ScaleResult } from './lib/report.ts';

const PER_HOLDER = 2500;

export interface ScaleOptions {
  connections: number;
  runtime: Runtime;
  /** Shorter settle and probe windows (the CI smoke). */
  quick: boolean;
  log(msg: string): void;
}

export const runScale = async ({ connections, runtime, quick, log }: ScaleOptions): Promise<ScaleResult> => {
  const probeTiming: Timing = quick ? { warmupMs: 300, measureMs: 1500 } : { warmupMs: 500, measureMs: 4000 };
  const warren = SYSTEMS.find((s) => s.id === 'warren')!;
  const running = await warren.start(runtime);
  const holders: Child[] = [];
  const hold = async (count: number) => {
    for (let left = count; left > 0; left -= PER_HOLDER) {
      const holder = spawnChild('idle holder', runtime, 'bench/clients/idle.ts', {
        BENCH_SPEC: JSON.stringify({ url: running.url, connections: Math.min(PER_HOLDER, left) }),
      });
      holders.push(holder);
    }
    await Promise.all(holders.slice(-Math.ceil(count / PER_HOLDER)).map((h) => h.waitFor((l) => l.ev === 'ready', 120_000)));
  };
  const measure = async (connected: number) => {
    await sleep(quick ? 1000 : 3000); // let the gateway settle (GC, timers) after the handshakes
    const rss = rssBytes(running.pids.gateway!);
    const probe = await runCell('warren', running, 'echo-100B', 1, probeTiming, runtime);
    log(`scale: ${connected} connected, gateway RSS ${(rss / 1048576).toFixed(1)} MB, probe p50 ${probe.p50.toFixed(2)} ms p99 ${probe.p99.toFixed(2)} ms`);
    return { rss, p50: probe.p50, p99: probe.p99 };
  };
  try {
    const base = 100;
    await hold(base - 1); // the probe is the hundredth
    const low = await measure(base);
    await hold(connections - base);
    const high = await measure(connections);
    return {
      connections: [base, connections],
      rssBytes: [low.rss, high.rss],
      p50: [low.p50, high.p50],
      p99: [low.p99, high.p99],
      rssPerConnectionBytes: (high.rss - low.rss) / (connections - base),
    };
  } finally {
    await Promise.all(holders.map((h) => h.stop()));
    await running.close();
  }
};
