// Runs a Python demo worker script for browser tests and waits for its log
// lines (plain text from Python's logging, not JSON), over the one launcher.
import { startPython as startPythonProcess, textMatches } from '../support/processes.ts';

export const PYTHON = '/usr/bin/python3';

export interface PyProc {
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  kill(): Promise<number | null>;
}

export const startPython = async (script: string, env: Record<string, string>): Promise<PyProc> => {
  const proc = startPythonProcess(script, env);
  return {
    output: proc.output,
    waitFor: async (pattern, timeoutMs = 20_000) => {
      const line = await proc.waitFor(textMatches(pattern), timeoutMs);
      const text = typeof line.msg === 'string' ? line.msg : JSON.stringify(line);
      return text.match(pattern)?.[0] ?? text;
    },
    kill: () => proc.kill(),
  };
};
