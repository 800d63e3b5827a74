// The one process launcher for tests, bench and scripts: runs a TypeScript
// file on Bun or Node (tsx), or any command, reads its stdout and stderr as
// lines (see parseLine), waits for a line, and stops it. test/support/processes.ts and bench/lib/spawn.ts are thin
// adapters over it; scripts/start.mjs uses tsCommand.
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../', import.meta.url));
const BUN = join(root, 'node_modules/.bin/bun');

/** The command that runs `file` (relative to `from`) on a runtime, with runtime flags before the file. */
export const tsCommand = (runtime, file, { flags = [], from = root } = {}) =>
  runtime === 'bun' ? { cmd: BUN, args: [...flags, resolve(from, file)] } : { cmd: process.execPath, args: [...flags, '--import', 'tsx', resolve(from, file)] };

/** Whether a process with this pid exists (signal 0 checks without sending). */
export const isAlive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The structured event a plain-text log line ends with, as the Python SDK
 * logs its `ready` (`… serving chat … {"event":"ready","types":["chat"],…}`):
 * the text before it and the event, or undefined.
 */
export const embeddedEvent = (text) => {
  const at = text.lastIndexOf('{"event":');
  if (at < 0) return undefined;
  try {
    const event = JSON.parse(text.slice(at));
    return typeof event?.event === 'string' ? { text: text.slice(0, at).trimEnd(), event } : undefined;
  } catch {
    return undefined;
  }
};

/** A log line as an object: a JSON line as it is; a text line as `{ msg: text }` plus the fields of an event it ends with. */
export const parseLine = (text) => {
  try {
    return JSON.parse(text);
  } catch {
    return { ...embeddedEvent(text)?.event, msg: text };
  }
};

export const launch = (label, cmd, args, { env = {}, cwd = root, stdin = false } = {}) => {
  const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  const lines = [];
  const recent = [];
  const watchers = new Set();
  // One partial-line buffer per stream: stdout and stderr arrive in
  // independent chunks, and a shared buffer would splice their lines together.
  const reader = () => {
    let buffered = '';
    return (data) => {
      buffered += data.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const part of parts) {
        if (part.trim() === '') continue;
        recent.push(part.length > 400 ? `${part.slice(0, 400)}…` : part);
        if (recent.length > 40) recent.shift();
        lines.push(parseLine(part));
      }
      for (const watcher of [...watchers]) watcher();
    };
  };
  child.stdout.on('data', reader());
  child.stderr.on('data', reader());
  child.stdin?.on('error', () => {}); // a child that exited first closes the pipe
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  const running = () => child.exitCode === null && child.signalCode === null;
  const output = () => lines.map((l) => JSON.stringify(l)).join('\n');
  const tail = () => recent.join('\n');
  return {
    label,
    child,
    exited,
    output,
    tail,
    /**
     * Resolves with the first line that passes `test`. With `consume`, that
     * line and all before it are dropped, so a later wait sees only newer ones.
     */
    waitFor: (test, { timeoutMs = 20_000, consume = false } = {}) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const at = lines.findIndex(test);
          if (at < 0) return;
          const hit = lines[at];
          if (consume) lines.splice(0, at + 1);
          watchers.delete(check);
          clearTimeout(timer);
          resolve(hit);
        };
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`${label} did not log the expected line within ${timeoutMs} ms:\n${consume ? tail() : output().slice(-3000)}`));
        }, timeoutMs);
        watchers.add(check);
        check();
        void exited.then((code) => {
          if (!watchers.has(check)) return;
          watchers.delete(check);
          clearTimeout(timer);
          reject(new Error(`${label} exited with ${code}:\n${consume ? tail() : output().slice(-3000)}`));
        });
      }),
    /** Sends `signal` (unless it already exited), then SIGKILL after `graceMs`; resolves with the exit code. */
    async kill(signal = 'SIGTERM', graceMs = 10_000) {
      if (running()) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    /** Closes stdin first (children that read it exit on that), then kill(SIGTERM, graceMs). */
    async stop(graceMs = 5000) {
      if (!running()) return;
      child.stdin?.end();
      if (await Promise.race([exited.then(() => true), sleep(1500).then(() => false)])) return;
      await this.kill('SIGTERM', graceMs);
    },
  };
};
