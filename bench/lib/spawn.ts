// Spawns the processes of a run (servers, workers, load clients) on Bun or
// Node over the one launcher (scripts/launch.mjs), reads their JSON lines,
// and makes sure none outlives the harness.
import type { ChildProcess } from 'node:child_process';
import { launch, root, tsCommand, type Line, type Runtime } from '../../scripts/launch.mjs';

export { root, type Line, type Runtime };

/** BENCH_PROFILE_DIR=dir: profiled processes write CPU profiles there on exit (Bun also as markdown). */
const profileFlags = (runtime: Runtime, label: string): string[] => {
  const dir = process.env.BENCH_PROFILE_DIR;
  if (!dir) return [];
  const name = `${label.replace(/\W+/g, '-')}-${Date.now()}`;
  return runtime === 'bun'
    ? ['--cpu-prof', '--cpu-prof-md', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}`]
    : // Node's default name carries pid and thread id: a fixed name would let
      // tsx's loader thread overwrite the main thread's profile on exit.
      ['--cpu-prof', `--cpu-prof-dir=${dir}`];
};

export interface Child {
  readonly label: string;
  readonly pid: number;
  /** Resolves with the first line (parsed JSON, or { msg: text }) that passes `test`; it and older lines are consumed. */
  waitFor(test: (line: Line) => boolean, timeoutMs?: number): Promise<Line>;
  send(command: Record<string, unknown>): void;
  /** True when the child exited by itself within `timeoutMs`. */
  waitExit(timeoutMs: number): Promise<boolean>;
  /** Closes stdin (our children exit on that), then SIGTERM, then SIGKILL. */
  stop(graceMs?: number): Promise<void>;
  tail(): string;
}

const live = new Set<ChildProcess>();
const killAll = () => {
  for (const child of live) child.kill('SIGKILL');
};
process.once('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });
}

export interface SpawnOptions {
  /** Write a CPU profile when BENCH_PROFILE_DIR is set. */
  profile?: boolean;
  /** Another checkout to run the file from (an A/B "before" tree). */
  root?: string;
  /** Run this command instead of `file` on Bun/Node (the Python worker). */
  command?: [string, string[]];
}

export const spawnChild = (label: string, runtime: Runtime, file: string, env: Record<string, string>, options: SpawnOptions = {}): Child => {
  const from = options.root ?? root;
  const { cmd, args } = options.command
    ? { cmd: options.command[0], args: options.command[1] }
    : tsCommand(runtime, file, { flags: options.profile ? profileFlags(runtime, label) : [], from });
  const launched = launch(label, cmd, args, { env, cwd: from, stdin: true });
  const { child } = launched;
  live.add(child);
  void launched.exited.then(() => live.delete(child));
  return {
    label,
    pid: child.pid!,
    tail: launched.tail,
    waitFor: (test, timeoutMs = 30_000) => launched.waitFor(test, { timeoutMs, consume: true }),
    send(commandLine) {
      if (child.stdin!.writable) child.stdin!.write(`${JSON.stringify(commandLine)}\n`);
    },
    waitExit(timeoutMs) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      return Promise.race([launched.exited.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)))]).finally(
        () => clearTimeout(timer),
      );
    },
    stop: (graceMs = 5000) => launched.stop(graceMs),
  };
};

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
