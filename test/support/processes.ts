// Spawns gateway and worker processes on Bun or Node for integration tests,
// waits until they say they are ready, and kills them afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../', import.meta.url));
export type Runtime = 'bun' | 'node';
export const RUNTIMES: Runtime[] = ['bun', 'node'];

const command = (runtime: Runtime, file: string): [string, string[]] =>
  runtime === 'bun' ? [join(root, 'node_modules/.bin/bun'), [file]] : [process.execPath, ['--import', 'tsx', file]];

export interface Proc {
  child: ChildProcess;
  output(): string;
  /** Resolves with the first log object matching `test`. */
  waitFor(test: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

const live = new Set<Proc>();

export const startProcess = (runtime: Runtime, file: string, env: Record<string, string>): Proc => {
  const [cmd, args] = command(runtime, join(root, file));
  return startCommand(`${file} (${runtime})`, cmd, args, env);
};

/** Any command (e.g. a Python worker), with the same log plumbing. */
export const startCommand = (label: string, cmd: string, args: string[], env: Record<string, string>): Proc => {
  const child = spawn(cmd, args, { cwd: root, env: { ...process.env, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  const watchers = new Set<() => void>();
  // One partial-line buffer per stream: stdout and stderr arrive in
  // independent chunks, and a shared buffer would splice their lines together.
  const reader = () => {
    let text = '';
    return (data: Buffer) => {
      text += data.toString();
      const parts = text.split('\n');
      text = parts.pop() ?? '';
      for (const part of parts) {
        try {
          lines.push(JSON.parse(part));
        } catch {
          lines.push({ msg: part });
        }
      }
      for (const w of watchers) w();
    };
  };
  child.stdout!.on('data', reader());
  child.stderr!.on('data', reader());
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const proc: Proc = {
    child,
    output: () => lines.map((l) => JSON.stringify(l)).join('\n'),
    waitFor: (test, timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const hit = lines.find(test);
          if (!hit) return false;
          watchers.delete(check);
          clearTimeout(timer);
          resolve(hit);
          return true;
        };
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`${label} did not log the expected line within ${timeoutMs} ms:\n${proc.output().slice(-3000)}`));
        }, timeoutMs);
        watchers.add(check);
        check();
        void exited.then((code) => {
          if (watchers.has(check)) {
            watchers.delete(check);
            clearTimeout(timer);
            reject(new Error(`${label} exited with ${code}:\n${proc.output().slice(-3000)}`));
          }
        });
      }),
    async kill(signal = 'SIGTERM') {
      live.delete(proc);
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  live.add(proc);
  return proc;
};

/** The structured line a gateway or Node worker logs once it serves (`event: 'ready'`). */
export const isReady = (line: Record<string, unknown>) => line.event === 'ready';

export const killAll = () => Promise.all([...live].map((p) => p.kill()));

export const startGateway = async (runtime: Runtime, namespace: string, env: Record<string, string> = {}) => {
  const proc = startProcess(runtime, 'packages/gateway/src/main.ts', { PORT: '0', HOST: '127.0.0.1', WARREN_NAMESPACE: namespace, ...env });
  const line = await proc.waitFor(isReady);
  return { proc, url: String(line.url) };
};

export const startNodeWorker = async (runtime: Runtime, namespace: string, env: Record<string, string> = {}) => {
  const proc = startProcess(runtime, 'examples/workers-node/src/main.ts', { WARREN_NAMESPACE: namespace, ...env });
  await proc.waitFor(isReady);
  return proc;
};
