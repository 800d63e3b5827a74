// A closed-loop load driver run inside each client process: C virtual users,
// each sending its next request as soon as the previous one settled. The
// harness opens and closes the measured window by command, so the window
// matches the CPU snapshots it takes of every process.
import { performance } from 'node:perf_hooks';
import { onCommands, readSpec, report } from './child.ts';
import { WORKLOADS, type Workload } from './workloads.ts';

/** One request; calls onChunk for every chunk and resolves with the result. */
export type Call = (vu: number, workload: Workload, onChunk: () => void) => Promise<unknown>;

export interface Client {
  call: Call;
  close(): Promise<void>;
}

export interface ClientSpec {
  url: string;
  concurrency: number;
  workload: string;
  /** The loop stops by itself after this long, whatever the harness says. */
  hardStopMs: number;
  /** And after this many requests. */
  maxRequests: number;
}

interface Window {
  open: boolean;
  openedAt: number;
  latencies: number[];
  firstChunk: number[];
  chunks: number;
  errors: number;
  firstError: string | undefined;
}

const newWindow = (open: boolean): Window => ({
  open,
  openedAt: performance.now(),
  latencies: [],
  firstChunk: [],
  chunks: 0,
  errors: 0,
  firstError: undefined,
});

const withTimeout = <T>(promise: Promise<T>, ms: number): Promise<T> => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
};

/** Sets the client up, says ready, runs on 'go', measures between 'mark' and 'stop'. */
export const clientMain = async (setup: (spec: ClientSpec) => Promise<Client>): Promise<void> => {
  const spec = readSpec<ClientSpec>();
  const workload = WORKLOADS[spec.workload];
  if (!workload) throw new Error(`unknown workload ${spec.workload}`);
  const client = await setup(spec);
  let window = newWindow(false);
  let running = false;
  let sent = 0;

  const virtualUser = async (vu: number) => {
    while (running && sent < spec.maxRequests) {
      sent += 1;
      const started = performance.now();
      let firstChunkAt = 0;
      const onChunk = () => {
        if (firstChunkAt === 0) firstChunkAt = performance.now();
        if (window.open) window.chunks += 1;
      };
      try {
        await withTimeout(client.call(vu, workload, onChunk), workload.timeoutMs);
        // Every request that finished inside the window counts, whenever it
        // started (the warm-up ran the system at the same load). Counting
        // only those that also started in it kept the short ones: when
        // latency neared the window's length (1 MB at C=64), req/s read a
        // fraction of the real rate and p50 a fraction of the real latency.
        if (window.open) {
          window.latencies.push(performance.now() - started);
          if (firstChunkAt !== 0) window.firstChunk.push(firstChunkAt - started);
        }
      } catch (error) {
        if (window.open) {
          window.errors += 1;
          window.firstError ??= (error as Error).message;
        }
      }
    }
  };

  const loops: Promise<void>[] = [];
  const stopTimer = setTimeout(() => {
    running = false;
  }, spec.hardStopMs);
  stopTimer.unref();

  onCommands((command) => {
    switch (command.cmd) {
      case 'go':
        running = true;
        for (let vu = 0; vu < spec.concurrency; vu++) loops.push(virtualUser(vu));
        break;
      case 'mark':
        window = newWindow(true);
        break;
      case 'stop': {
        const w = window;
        w.open = false;
        running = false;
        report({
          ev: 'result',
          windowMs: performance.now() - w.openedAt,
          latencies: w.latencies,
          firstChunk: w.firstChunk,
          chunks: w.chunks,
          errors: w.errors,
          firstError: w.firstError,
        });
        break;
      }
      case 'exit':
        // In-flight calls of long streams may still run: give them a moment, then go.
        void withTimeout(Promise.all(loops), 10_000)
          .catch(() => {})
          .then(() => withTimeout(client.close(), 3000).catch(() => {}))
          .finally(() => process.exit(0));
        break;
    }
  });
  report({ ev: 'ready', pid: process.pid });
};
