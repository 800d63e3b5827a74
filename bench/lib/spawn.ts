// Spawns the processes of a run (servers, workers, load clients) on Bun or
// Node, reads their JSON lines, and makes sure none outlives the harness.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../', import.meta.url));
export type Runtime = 'bun' | 'node';
const BUN = join(root, 'node_modules/.bin/bun');

/** BENCH_PROFILE_DIR=dir: profiled processes write CPU profiles there on exit (Bun also as markdown). */
const profileFlags = (runtime: Runtime, label: string): string[] => {
  const dir = process.env.BENCH_PROFILE_DIR;
  if (!dir) return [];
  const name = `${label.replace(/\W+/g, '-')}-${Date.now()}`;
  return runtime === 'bun'
    ? ['--cpu-prof', '--cpu-prof-md', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}`]
    : ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}.cpuprofile`];
};

export const command = (runtime: Runtime, file: string, profileAs?: string, from = root): [string, string[]] => {
  const flags = profileAs === undefined ? [] : profileFlags(runtime, profileAs);
  return runtime === 'bun' ? [BUN, [...flags, join(from, file)]] : [process.execPath, [...flags, '--import', 'tsx', join(from, file)]];
};

export type Line = Record<string, unknown>;

export interface Child {
  readonly label: string;
  readonly pid: number;
  /** Resolves with the first line (parsed JSON, or { msg: text }) that passes `test`. */
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
  const [cmd, args] = options.command ?? command(runtime, file, options.profile ? label : undefined, from);
  const child = spawn(cmd, args, { cwd: from, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  live.add(child);
  const lines: Line[] = [];
  const recent: string[] = [];
  const watchers = new Set<() => void>();
  let buffered = '';
  const onData = (data: Buffer) => {
    buffered += data.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const part of parts) {
      if (part.trim() === '') continue;
      recent.push(part.length > 400 ? `${part.slice(0, 400)}…` : part);
      if (recent.length > 40) recent.shift();
      try {
        lines.push(JSON.parse(part) as Line);
      } catch {
        lines.push({ msg: part });
      }
    }
    for (const watcher of [...watchers]) watcher();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  child.stdin!.on('error', () => {}); // a child that exited first closes the pipe
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      live.delete(child);
      resolve();
    }),
  );
  const tail = () => recent.join('\n');
  return {
    label,
    pid: child.pid!,
    tail,
    waitFor: (test, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        let seen = 0;
        const check = () => {
          for (; seen < lines.length; seen++) {
            if (test(lines[seen]!)) {
              const hit = lines[seen]!;
              lines.splice(0, seen + 1); // consumed: a later wait sees only newer lines
              watchers.delete(check);
              clearTimeout(timer);
              resolve(hit);
              return;
            }
          }
        };
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`${label} did not answer within ${timeoutMs} ms:\n${tail()}`));
        }, timeoutMs);
        watchers.add(check);
        check();
        void exited.then(() => {
          if (!watchers.has(check)) return;
          watchers.delete(check);
          clearTimeout(timer);
          reject(new Error(`${label} exited:\n${tail()}`));
        });
      }),
    send(commandLine) {
      if (child.stdin!.writable) child.stdin!.write(`${JSON.stringify(commandLine)}\n`);
    },
    waitExit(timeoutMs) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      return Promise.race([
        exited.then(() => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
      ]).finally(() => clearTimeout(timer));
    },
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin!.end();
      // Our own children exit on a closed stdin (and write their profiles); others need the signal.
      if (await Promise.race([exited.then(() => true), sleep(1500).then(() => false)])) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
};

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
