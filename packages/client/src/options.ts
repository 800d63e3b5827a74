// Backend options: defaults in one place, checked once at construction with
// messages that name the field, so a typo fails at start-up, not mid-call.
import { MAX_TIMEOUT_MS } from '@warren/protocol';
import { resolveLoggerOptions, type LoggerOptions } from './logger.ts';
import { createDefaultCallStore, type CallStore } from './call-store.ts';
import { createDefaultSessionStore, type SessionStore } from './session-store.ts';
import { probeRefusal, type RefusalProbe } from './refusal-probe.ts';
import { defaultConnect, type Connect, type TokenSource } from './socket.ts';

export const DEFAULTS = {
  defaultTimeoutMs: 60_000,
} as const;

export interface BackendOptions {
  /** Gateway URL, e.g. `http://localhost:3000`. Relative URLs (`/`) work in browsers. */
  url: string;
  /** Deadline of a call that passes no `timeoutMs`, in ms; 0 = none. @default 60000 */
  defaultTimeoutMs?: number;
  /** Creates the socket; tests inject a fake or a real client here. @default socket.io-client `io` */
  connect?: Connect;
  /** Credential for the gateway's authentication (sent as Socket.IO `auth.token`): a string, or a (possibly async) getter called on every (re)connect. */
  token?: TokenSource;
  /** Where the session resume token lives. @default sessionStorage key 'warren.session', else memory */
  sessionStore?: SessionStore;
  /** Where retained calls (requests with a `key`) are remembered across reloads. @default sessionStorage key 'warren.calls', else memory */
  callStore?: CallStore;
  /** Request ids (1–128 of `A-Z a-z 0-9 _ . : -`). @default crypto.randomUUID */
  createId?: () => string;
  /** Client logger batching and limits. */
  log?: Partial<LoggerOptions>;
  /**
   * Asks the gateway why a WebSocket failed before opening (a refused origin
   * or token is final: status `offline` with FORBIDDEN / UNAUTHORIZED).
   * @default an HTTP probe with the built-in connection; none with a custom `connect`
   */
  refusalProbe?: RefusalProbe;
}

interface ResolvedBackendOptions {
  url: string;
  token: TokenSource | undefined;
  defaultTimeoutMs: number;
  connect: Connect;
  sessionStore: SessionStore;
  callStore: CallStore;
  createId: () => string;
  log: LoggerOptions;
  refusalProbe: RefusalProbe | undefined;
}

const fail = (field: string, expected: string, got: unknown): never => {
  const shown = typeof got === 'string' ? JSON.stringify(got) : typeof got === 'function' ? 'a function' : String(got);
  throw new TypeError(`createBackend: options.${field} must be ${expected}, got ${shown}`);
};

/** True for an integer timeout budget in ms: 0 (none) … MAX_TIMEOUT_MS. */
export const isTimeoutMs = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_TIMEOUT_MS;

export const TIMEOUT_RANGE = `an integer number of ms from 0 (no deadline) to ${MAX_TIMEOUT_MS}`;

const checkUrl = (url: unknown): string => {
  if (typeof url !== 'string' || url.trim() === '') return fail('url', 'a non-empty string', url);
  // Absolute URLs must parse; relative ones are resolved by the browser.
  if (url.includes('://')) {
    let protocol = '';
    try {
      protocol = new URL(url).protocol;
    } catch {
      return fail('url', 'a valid URL', url);
    }
    if (!['http:', 'https:', 'ws:', 'wss:'].includes(protocol)) return fail('url', 'an http(s) or ws(s) URL', url);
  }
  return url;
};

// randomUUID exists only in secure contexts (https, localhost); a page served
// over plain http on a LAN address still needs ids.
const defaultCreateId = (): string => {
  const { crypto } = globalThis;
  if (typeof crypto?.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
};

export const resolveBackendOptions = (input: BackendOptions): ResolvedBackendOptions => {
  if (typeof input !== 'object' || input === null) {
    throw new TypeError('createBackend: options must be an object with at least { url }');
  }
  const url = checkUrl(input.url);
  const defaultTimeoutMs = input.defaultTimeoutMs ?? DEFAULTS.defaultTimeoutMs;
  if (!isTimeoutMs(defaultTimeoutMs)) fail('defaultTimeoutMs', TIMEOUT_RANGE, defaultTimeoutMs);
  if (input.connect !== undefined && typeof input.connect !== 'function') {
    fail('connect', 'a function (url, options) => socket', input.connect);
  }
  const store = input.sessionStore;
  if (store !== undefined && (typeof store?.get !== 'function' || typeof store?.set !== 'function')) {
    fail('sessionStore', 'an object with get() and set(token)', store);
  }
  const calls = input.callStore;
  if (calls !== undefined && (typeof calls?.get !== 'function' || typeof calls?.set !== 'function' || typeof calls?.delete !== 'function')) {
    fail('callStore', 'an object with get(key), set(key, call) and delete(key)', calls);
  }
  if (input.createId !== undefined && typeof input.createId !== 'function') {
    fail('createId', 'a function returning a string', input.createId);
  }
  if (input.token !== undefined && typeof input.token !== 'string' && typeof input.token !== 'function') {
    fail('token', 'a string or a function returning one', input.token);
  }
  if (input.log !== undefined && (typeof input.log !== 'object' || input.log === null)) {
    fail('log', 'an object', input.log);
  }
  const log = resolveLoggerOptions(input.log);
  return {
    url,
    token: input.token,
    defaultTimeoutMs,
    connect: input.connect ?? defaultConnect,
    sessionStore: store ?? createDefaultSessionStore(),
    callStore: calls ?? createDefaultCallStore(),
    createId: input.createId ?? defaultCreateId,
    log,
    refusalProbe: input.refusalProbe ?? (input.connect === undefined ? probeRefusal : undefined),
  };
};
