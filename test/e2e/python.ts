// Runs a Python demo worker script for browser tests and waits for its log
// lines (plain text from Python's logging, not JSON).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { root } from '../support/processes.ts';
import { AMQP_URL } from '../support/rabbit.ts';

export const PYTHON = '/usr/bin/python3';

export interface PyProc {
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  kill(): Promise<number | null>;
}

export const startPython = async (script: string, env: Record<string, string>): Promise<PyProc> => {
  const child = spawn(PYTHON, [script], {
    cwd: root,
    env: { ...process.env, PYTHONPATH: join(root, 'python'), PYTHONUNBUFFERED: '1', AMQP_URL, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const watchers = new Set<() => void>();
  const onData = (data: Buffer) => {
    text += data.toString();
    for (const watcher of [...watchers]) watcher();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  return {
    output: () => text,
    waitFor: (pattern, timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const hit = text.match(pattern);
          if (!hit) return;
          watchers.delete(check);
          clearTimeout(timer);
          resolve(hit[0]);
        };
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`${script} did not print ${pattern} within ${timeoutMs} ms:\n${text.slice(-3000)}`));
        }, timeoutMs);
        watchers.add(check);
        check();
        void exited.then((code) => {
          if (!watchers.has(check)) return;
          watchers.delete(check);
          clearTimeout(timer);
          reject(new Error(`${script} exited with ${code}:\n${text.slice(-3000)}`));
        });
      }),
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
};
