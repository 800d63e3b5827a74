// Parses `warren <command> …` into a typed command or a usage error.
export const USAGE = `Usage:
  warren call <type> [json-payload | - | @file] [--url URL] [--timeout MS] [--token JWT]
      Sends one request. The payload is JSON text, \`-\` to read it from stdin,
      or @file to read it from a file (for payloads too large for argv).
      Prints each chunk as one JSON line on stdout and the result as the last
      line; exit 0. On error prints CODE: message on stderr; exit 1. Ctrl-C
      cancels the request at the worker (exit 130). URL defaults to $WARREN_URL or http://localhost:3000;
      the token (for gateways that require authentication) to $WARREN_TOKEN.
  warren codegen [--url URL] [--out FILE] [--name BackendTypes] [--types a,b] [--token JWT]
      Reads the gateway's live registry (GET /registry) and writes TypeScript
      types for its request types (Python services included) to FILE, or to
      stdout: use them as createBackend<BackendTypes>({ url }). A gateway
      with authentication needs a token (--token or $WARREN_TOKEN).
  warren help`;

export type Command =
  | {
      kind: 'call';
      type: string;
      payload: unknown;
      /** Where the payload still has to be read from (main.ts reads it); absent when given inline. */
      payloadFrom?: { stdin: true } | { file: string };
      url: string;
      timeoutMs: number | undefined;
      token: string | undefined;
    }
  | { kind: 'codegen'; url: string; out: string | undefined; name: string; only: string[] | undefined; token: string | undefined }
  | { kind: 'help' }
  | { kind: 'usage-error'; message: string };

const CODEGEN_ONLY = ['--out', '--name', '--types'];
const TYPE_NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export const parseArgs = (argv: readonly string[], env: Record<string, string | undefined> = {}): Command => {
  const positional: string[] = [];
  const flags = new Map<string, string>();
  let url = env.WARREN_URL ?? 'http://localhost:3000';
  let timeoutMs: number | undefined;
  let token = env.WARREN_TOKEN || undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      if (inline !== undefined) return inline;
      const next = argv[++i];
      if (next === undefined) throw new Error(`${flag} needs a value`);
      return next;
    };
    try {
      if (flag === '--url') url = value();
      else if (flag === '--token') token = value();
      else if (flag === '--timeout') {
        const raw = value();
        timeoutMs = Number(raw);
        if (!Number.isInteger(timeoutMs) || timeoutMs < 0) return { kind: 'usage-error', message: `--timeout must be a whole number of ms, got ${raw}` };
      } else if (CODEGEN_ONLY.includes(flag)) flags.set(flag, value());
      else if (arg === '-h' || arg === '--help') return { kind: 'help' };
      else if (arg.startsWith('--')) return { kind: 'usage-error', message: `unknown option ${arg}` };
      else positional.push(arg);
    } catch (error) {
      return { kind: 'usage-error', message: (error as Error).message };
    }
  }
  const [command, type, json] = positional;
  if (command === undefined || command === 'help') return { kind: 'help' };
  if (command === 'codegen') {
    if (type !== undefined) return { kind: 'usage-error', message: `codegen takes no arguments, got "${type}"` };
    const name = flags.get('--name') ?? 'BackendTypes';
    if (!TYPE_NAME.test(name)) return { kind: 'usage-error', message: `--name must be a TypeScript identifier, got ${name}` };
    const types = flags.get('--types');
    const only =
      types === undefined
        ? undefined
        : types
            .split(',')
            .map((t) => t.trim())
            .filter(Boolean);
    return { kind: 'codegen', url, out: flags.get('--out'), name, only, token };
  }
  if (command !== 'call') return { kind: 'usage-error', message: `unknown command "${command}"` };
  const stray = [...flags.keys()][0];
  if (stray !== undefined) return { kind: 'usage-error', message: `${stray} is an option of codegen, not call` };
  if (!type) return { kind: 'usage-error', message: 'call needs a request type' };
  let payload: unknown = null;
  if (json === '-') return { kind: 'call', type, payload, payloadFrom: { stdin: true }, url, timeoutMs, token };
  if (json?.startsWith('@')) {
    if (json.length === 1) return { kind: 'usage-error', message: '@ needs a file name: @payload.json' };
    return { kind: 'call', type, payload, payloadFrom: { file: json.slice(1) }, url, timeoutMs, token };
  }
  if (json !== undefined) {
    try {
      payload = JSON.parse(json);
    } catch (error) {
      return { kind: 'usage-error', message: `payload is not JSON: ${(error as Error).message}` };
    }
  }
  return { kind: 'call', type, payload, url, timeoutMs, token };
};
