// Gateway and worker processes on Bun or Node for integration tests, over
// the one launcher (scripts/launch.mjs): waits until they are ready, and
// kills them afterwards.
import type { ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { launch, root, tsCommand, type Runtime } from '../../scripts/launch.mjs';
import { AMQP_URL } from './rabbit.ts';

export { root, type Runtime };
export const RUNTIMES: Runtime[] = ['bun', 'node'];

export interface Proc {
  child: ChildProcess;
  output(): string;
  /** Resolves with the first log object matching `test`. */
  waitFor(test: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
  /** `await using proc = startProcess(...)` kills it when the block ends. */
  [Symbol.asyncDispose](): Promise<void>;
}

const live = new Set<Proc>();

export const startProcess = (runtime: Runtime, file: string, env: Record<string, string>): Proc => {
  const { cmd, args } = tsCommand(runtime, file);
  return startCommand(`${file} (${runtime})`, cmd, args, env);
};

/** Any command (e.g. a Python worker), with the same log plumbing. */
export const startCommand = (label: string, cmd: string, args: string[], env: Record<string, string>): Proc => {
  const launched = launch(label, cmd, args, { env: { LOG_LEVEL: 'info', ...env } });
  const proc: Proc = {
    child: launched.child,
    output: launched.output,
    waitFor: (test, timeoutMs = 20_000) => launched.waitFor(test, { timeoutMs }),
    kill(signal = 'SIGTERM') {
      live.delete(proc);
      return launched.kill(signal);
    },
    async [Symbol.asyncDispose]() {
      await proc.kill();
    },
  };
  live.add(proc);
  return proc;
};

/** A Python script (python/ on its path), with the same log plumbing. */
export const startPython = (script: string, env: Record<string, string>): Proc =>
  startCommand(script, '/usr/bin/python3', [resolve(root, script)], { PYTHONPATH: join(root, 'python'), PYTHONUNBUFFERED: '1', AMQP_URL, ...env });

/** The structured event a gateway or a Node or Python worker logs once it serves (`event: 'ready'`; Python's ends its text line, see parseLine). */
export const isReady = (line: Record<string, unknown>) => line.event === 'ready';

/** A worker's `ready` event, once it serves `type`. */
export const isReadyFor = (type: string) => (line: Record<string, unknown>) => isReady(line) && Array.isArray(line.types) && line.types.includes(type);

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
