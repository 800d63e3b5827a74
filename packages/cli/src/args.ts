// Parses `warren <command> …` into a typed command or a usage error.
export const USAGE = `Usage:
  warren call <type> [json-payload] [--url URL] [--timeout MS]
      Sends one request. Prints each chunk as one JSON line on stdout and the
      result as the last line; exit 0. On error prints CODE: message on
      stderr; exit 1. URL defaults to $WARREN_URL or http://localhost:3000.
  warren help`;

export type Command =
  | { kind: 'call'; type: string; payload: unknown; url: string; timeoutMs: number | undefined }
  | { kind: 'help' }
  | { kind: 'usage-error'; message: string };

export const parseArgs = (argv: readonly string[], env: Record<string, string | undefined> = {}): Command => {
  const positional: string[] = [];
  let url = env.WARREN_URL ?? 'http://localhost:3000';
  let timeoutMs: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    try {
      if (arg === '--url') url = value();
      else if (arg.startsWith('--url=')) url = arg.slice(6);
      else if (arg === '--timeout' || arg.startsWith('--timeout=')) {
        const raw = arg.includes('=') ? arg.split('=')[1]! : value();
        timeoutMs = Number(raw);
        if (!Number.isInteger(timeoutMs) || timeoutMs < 0) return { kind: 'usage-error', message: `--timeout must be a whole number of ms, got ${raw}` };
      } else if (arg === '-h' || arg === '--help') return { kind: 'help' };
      else if (arg.startsWith('--')) return { kind: 'usage-error', message: `unknown option ${arg}` };
      else positional.push(arg);
    } catch (error) {
      return { kind: 'usage-error', message: (error as Error).message };
    }
  }
  const [command, type, json] = positional;
  if (command === undefined || command === 'help') return { kind: 'help' };
  if (command !== 'call') return { kind: 'usage-error', message: `unknown command "${command}"` };
  if (!type) return { kind: 'usage-error', message: 'call needs a request type' };
  let payload: unknown = null;
  if (json !== undefined) {
    try {
      payload = JSON.parse(json);
    } catch (error) {
      return { kind: 'usage-error', message: `payload is not JSON: ${(error as Error).message}` };
    }
  }
  return { kind: 'call', type, payload, url, timeoutMs };
};
