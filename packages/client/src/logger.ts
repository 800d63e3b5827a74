// Client logger: ships browser log lines to the gateway as `client-log`
// events. Logging must never hurt the app, so every entry point swallows its
// own failures, the rate is capped, and the offline buffer is bounded.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogEntry {
  level: LogLevel;
  msg: string;
  fields?: Record<string, unknown>;
  /** Lifted from `fields.requestId` so the gateway can join logs to requests. */
  requestId?: string;
  /** Epoch milliseconds. */
  ts: number;
}

export type LogMethod = (msg: string, fields?: Record<string, unknown>) => void;

export interface ClientLogger {
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
  /** Sends what is buffered now (if connected). Never throws. */
  flush(): void;
}

export interface LoggerOptions {
  /** ms an entry waits before its batch is sent. @default 1000 */
  flushIntervalMs: number;
  /** Entries per `client-log` event; a full batch is sent at once. @default 20 */
  batchSize: number;
  /** Entries accepted per window; the rest are dropped and counted. @default 50 */
  maxEntriesPerWindow: number;
  /** Rate-limit window, ms. @default 10000 */
  windowMs: number;
  /** Entries kept while disconnected; the oldest go first. @default 200 */
  maxBuffered: number;
}

export const LOGGER_DEFAULTS: LoggerOptions = {
  flushIntervalMs: 1000,
  batchSize: 20,
  maxEntriesPerWindow: 50,
  windowMs: 10_000,
  maxBuffered: 200,
};

interface LoggerDeps {
  /** Emits one batch; returns false (or throws) when it cannot be sent now. */
  send(entries: LogEntry[]): boolean;
  now?: () => number;
}

// Limits of the gateway's client-log schema: a frame breaking one is dropped whole.
const MAX_MSG_CHARS = 2000;
const MAX_REQUEST_ID_CHARS = 128;
const MAX_ENTRIES_PER_FRAME = 50;
const MAX_FIELDS_CHARS = 8000;

export const resolveLoggerOptions = (input: Partial<LoggerOptions> = {}): LoggerOptions => {
  const resolved = { ...LOGGER_DEFAULTS, ...input };
  for (const [key, value] of Object.entries(resolved)) {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      throw new TypeError(`createBackend: options.log.${key} must be a positive integer, got ${String(value)}`);
    }
  }
  if (resolved.batchSize > MAX_ENTRIES_PER_FRAME) {
    throw new TypeError(
      `createBackend: options.log.batchSize must be at most ${MAX_ENTRIES_PER_FRAME} (the gateway's limit per frame), got ${resolved.batchSize}`,
    );
  }
  return resolved;
};

// JSON round trip: what socket.io would send anyway, minus the chance of a
// circular structure throwing inside emit.
const sanitizeFields = (fields: Record<string, unknown>): Record<string, unknown> => {
  try {
    const text = JSON.stringify(fields);
    if (text === undefined) return {};
    if (text.length > MAX_FIELDS_CHARS) return { truncated: true, preview: text.slice(0, 1000) };
    return JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    return { unserializable: error instanceof Error ? error.message : String(error) };
  }
};

const toEntry = (level: LogLevel, msg: unknown, fields: unknown, ts: number): LogEntry => {
  const text = typeof msg === 'string' ? msg : String(msg);
  const entry: LogEntry = { level, msg: text.length > MAX_MSG_CHARS ? `${text.slice(0, MAX_MSG_CHARS - 1)}…` : text, ts };
  if (typeof fields === 'object' && fields !== null) {
    const { requestId, ...rest } = fields as Record<string, unknown>;
    const liftable = typeof requestId === 'string' && requestId.length <= MAX_REQUEST_ID_CHARS;
    if (liftable) entry.requestId = requestId;
    const remaining = liftable || requestId === undefined ? rest : { ...rest, requestId };
    if (Object.keys(remaining).length > 0) entry.fields = sanitizeFields(remaining);
  }
  return entry;
};

export const createClientLogger = (deps: LoggerDeps, input: Partial<LoggerOptions> = {}): ClientLogger & { close(): void } => {
  const options = resolveLoggerOptions(input);
  const now = deps.now ?? Date.now;
  const queue: LogEntry[] = [];
  let windowStart = now();
  let acceptedInWindow = 0;
  let rateDropped = 0; // this window, reported once it ends
  const toReport = { rateLimited: 0, overflow: 0 };
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  const trySend = (entries: LogEntry[]): boolean => {
    try {
      return deps.send(entries) === true;
    } catch {
      return false;
    }
  };

  const schedule = (delayMs: number): void => {
    if (timer !== undefined || closed) return;
    timer = setTimeout(flush, Math.max(0, delayMs));
    // A pending log flush alone should not keep a Node/Bun process alive.
    (timer as { unref?: () => void }).unref?.();
  };

  const rollWindow = (at: number): void => {
    if (at - windowStart < options.windowMs) return;
    toReport.rateLimited += rateDropped;
    rateDropped = 0;
    acceptedInWindow = 0;
    windowStart = at;
  };

  function flush(): void {
    try {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      const at = now();
      rollWindow(at);
      let sendable = true;
      while (queue.length > 0) {
        const batch = queue.slice(0, options.batchSize);
        if (!trySend(batch)) {
          sendable = false; // disconnected: keep them for the next connect
          break;
        }
        queue.splice(0, batch.length);
      }
      if (sendable && (toReport.rateLimited > 0 || toReport.overflow > 0)) {
        const summary: LogEntry = {
          level: 'warn',
          msg: `client logger dropped ${toReport.rateLimited + toReport.overflow} entries`,
          fields: { ...toReport },
          ts: at,
        };
        if (trySend([summary])) {
          toReport.rateLimited = 0;
          toReport.overflow = 0;
        }
      }
      // Drops of the current window are reported when it ends.
      if (rateDropped > 0) schedule(windowStart + options.windowMs - at);
    } catch {
      // never throw from logging
    }
  }

  const log =
    (level: LogLevel): LogMethod =>
    (msg, fields) => {
      try {
        if (closed) return;
        const at = now();
        rollWindow(at);
        if (acceptedInWindow >= options.maxEntriesPerWindow) {
          rateDropped += 1;
          schedule(windowStart + options.windowMs - at);
          return;
        }
        acceptedInWindow += 1;
        queue.push(toEntry(level, msg, fields, at));
        if (queue.length > options.maxBuffered) {
          queue.shift();
          toReport.overflow += 1;
        }
        if (queue.length >= options.batchSize) flush();
        else schedule(options.flushIntervalMs);
      } catch {
        // never throw from logging
      }
    };

  const close = (): void => {
    flush();
    closed = true;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };

  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), flush, close };
};
