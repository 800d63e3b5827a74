// `node scripts/start.mjs` (npm start, or npm run dev with --dev) as a user
// runs it, for browser tests: its output kept as plain lines, the pids its
// supervisor reports, and a stop that leaves nothing of ours running.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { isAlive } from '../../scripts/launch.mjs';
import { root } from '../support/processes.ts';

export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// eslint-disable-next-line no-control-regex
const plain = (line: string) => line.replace(/\x1b\[[0-9;]*m/g, '');

/**
 * A child's `ready` event as the supervisor shows it (a structured event's
 * fields as `key=value`, for every language), serving `type` when given.
 */
export const isReadyLine = (name: string, type?: string) => (line: string) =>
  line.startsWith(name) &&
  / event=ready( |$)/.test(line) &&
  (type === undefined || (line.includes(` types=[`) && line.split(' types=[')[1]!.split(']')[0]!.split(',').includes(`"${type}"`)));

/** `node scripts/start.mjs` with its output kept as plain lines, and the pids its supervisor reports. */
export const runNpmStart = (env: Record<string, string>, args: string[] = []) => {
  const child: ChildProcess = spawn(process.execPath, [join(root, 'scripts/start.mjs'), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const pids = new Map<string, number[]>(); // child name → pids, oldest first
  const watchers = new Set<() => void>();
  const reader = () => {
    let text = '';
    return (data: Buffer) => {
      text += data.toString();
      const parts = text.split('\n');
      text = parts.pop() ?? '';
      for (const part of parts.map(plain)) {
        lines.push(part);
        const started = /^(\S+)\s*│ started \(pid (\d+)\)$/.exec(part);
        if (started) pids.set(started[1]!, [...(pids.get(started[1]!) ?? []), Number(started[2])]);
      }
      for (const w of watchers) w();
    };
  };
  child.stdout!.on('data', reader());
  child.stderr!.on('data', reader());
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  /** Index of the first line from `from` on that matches, waiting at most `ms`. */
  const waitFor = (test: (line: string) => boolean, ms: number, from = 0) =>
    new Promise<number>((resolve, reject) => {
      const check = () => {
        const i = lines.findIndex((l, n) => n >= from && test(l));
        if (i < 0) return;
        watchers.delete(check);
        clearTimeout(timer);
        resolve(i);
      };
      const timer = setTimeout(() => {
        watchers.delete(check);
        reject(new Error(`npm start did not log the expected line within ${ms} ms:\n${lines.slice(-40).join('\n')}`));
      }, ms);
      watchers.add(check);
      check();
    });
  /** SIGTERM to the supervisor (it stops its children), then SIGKILL to anything of ours still there. */
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await Promise.race([exited, sleep(20_000)]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const pid of [...pids.values()].flat()) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  };
  return { child, lines, pids, waitFor, stop, output: () => lines.join('\n') };
};
