// Types of scripts/launch.mjs for the TypeScript that imports it.
import type { ChildProcess } from 'node:child_process';

export type Runtime = 'bun' | 'node';
export type Line = Record<string, unknown>;

export declare const root: string;
export declare const isAlive: (pid: number) => boolean;
export declare const embeddedEvent: (text: string) => { text: string; event: Line & { event: string } } | undefined;
export declare const parseLine: (text: string) => unknown;
export declare const tsCommand: (runtime: Runtime, file: string, options?: { flags?: string[]; from?: string }) => { cmd: string; args: string[] };

export interface Launched {
  readonly label: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  output(): string;
  tail(): string;
  waitFor(test: (line: Line) => boolean, options?: { timeoutMs?: number; consume?: boolean }): Promise<Line>;
  kill(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
  stop(graceMs?: number): Promise<void>;
}

export declare const launch: (
  label: string,
  cmd: string,
  args: string[],
  options?: { env?: Record<string, string>; cwd?: string; stdin?: boolean },
) => Launched;
