// The child side of the harness's line protocol: a child reports JSON lines
// on stdout ({ ev: 'ready' }, { ev: 'result', … }) and takes JSON commands on
// stdin. A closed stdin means the harness is gone, so the child exits: no
// load process ever outlives its run.
import { createInterface } from 'node:readline';

export const report = (event: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(event)}\n`);
};

export type Command = { cmd: string } & Record<string, unknown>;

export const onCommands = (handler: (command: Command) => void): void => {
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line.trim() === '') return;
    try {
      handler(JSON.parse(line) as Command);
    } catch (error) {
      report({ ev: 'error', message: (error as Error).message });
    }
  });
  lines.on('close', () => process.exit(0));
};

/** A spec the harness passes in BENCH_SPEC. */
export const readSpec = <T>(): T => JSON.parse(process.env.BENCH_SPEC ?? '{}') as T;

/** Servers: say ready, then live until the harness closes stdin. */
export const serveUntilStdinCloses = (ready: Record<string, unknown> = {}): void => {
  onCommands(() => {});
  report({ ev: 'ready', pid: process.pid, ...ready });
};
