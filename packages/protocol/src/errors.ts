// One table of error codes for every hop and every language. The JSON export
// (json/errors.json) is generated from this table, so the Python SDK can never
// drift from it.

export const ERROR_CODES = {
  INVALID_REQUEST: {
    retryable: false,
    description: 'The frame sent to the gateway is not a well-formed Warren request (missing id, bad type name, …).',
  },
  INVALID_PAYLOAD: {
    retryable: false,
    description: 'The payload does not match the schema the request type declares.',
  },
  NO_HANDLER: {
    retryable: true,
    description: 'No worker serves this request type right now; nothing was queued.',
  },
  TIMEOUT: {
    retryable: true,
    description: 'The deadline passed before a final answer arrived.',
  },
  CANCELLED: {
    retryable: false,
    description: 'The caller cancelled the request.',
  },
  WORKER_ERROR: {
    retryable: false,
    description: 'The handler threw or rejected; the message is the handler’s own.',
  },
  DELIVERY_LIMIT: {
    retryable: false,
    description: 'The request was delivered to workers the maximum number of times without an answer (poison request) and was dead-lettered.',
  },
  BROKER_UNAVAILABLE: {
    retryable: true,
    description: 'The gateway cannot reach the message broker; the request was not accepted.',
  },
  DISCONNECTED: {
    retryable: true,
    description: 'The client lost its connection before the gateway accepted the request, and could not resend it in time.',
  },
  UNAUTHORIZED: {
    retryable: false,
    description: 'The caller is not authenticated, or its credentials expired.',
  },
  FORBIDDEN: {
    retryable: false,
    description: 'The caller is authenticated but may not call this request type.',
  },
  RATE_LIMITED: {
    retryable: true,
    description: 'Too many requests, or too many in flight, for this caller.',
  },
  PAYLOAD_TOO_LARGE: {
    retryable: false,
    description: 'The frame or payload exceeds the configured size limit.',
  },
  DUPLICATE_ID: {
    retryable: false,
    description: 'The request id was already used in this session for a different request (another type or payload); send it under a new id.',
  },
  EXPIRED: {
    retryable: false,
    description: 'The call this key or attach names is no longer retained (its retention window passed, or it never existed); start it again.',
  },
  SHUTTING_DOWN: {
    retryable: true,
    description: 'The process is draining for shutdown and takes no new work.',
  },
  INTERNAL: {
    retryable: true,
    description: 'An unexpected fault inside Warren; the details are in the server log, not here.',
  },
} as const satisfies Record<string, { retryable: boolean; description: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export const errorCodes = Object.keys(ERROR_CODES) as ErrorCode[];

export const isErrorCode = (value: unknown): value is ErrorCode => typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);

/** The serialisable form an error takes on every hop. */
export interface WireError {
  code: ErrorCode;
  message: string;
  /** Machine-readable extras, e.g. `{ issues: [{ path, message }] }` for INVALID_PAYLOAD. */
  details?: Record<string, unknown>;
}

/** A thrown/rejected Warren error: a plain Error carrying a stable `code`. */
export type WarrenError = Error & WireError & { readonly warren: true };

export const createWarrenError = (code: ErrorCode, message: string, extra: { details?: Record<string, unknown>; cause?: unknown } = {}): WarrenError => {
  const error = new Error(message, extra.cause === undefined ? undefined : { cause: extra.cause }) as WarrenError;
  error.name = `WarrenError[${code}]`;
  Object.assign(error, { code, warren: true });
  if (extra.details !== undefined) error.details = extra.details;
  return error;
};

export const isWarrenError = (value: unknown): value is WarrenError =>
  value instanceof Error && (value as Partial<WarrenError>).warren === true && isErrorCode((value as WarrenError).code);

export const fromWireError = (wire: WireError): WarrenError =>
  createWarrenError(wire.code, wire.message, wire.details === undefined ? {} : { details: wire.details });

/** A short id that ties a caller's generic error to the operator's log line. */
export const newErrorReference = (): string => {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(6));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
};

/**
 * The WireError for a handler failure that is not a WarrenError: generic,
 * with a reference. The exception's own text never travels (it can carry a
 * connection string with a password, a path, a row of data); the operator
 * finds it, with its stack, in the log under the same reference. The Python
 * SDK sends the same (warren.errors.unexpected_error).
 */
export const unexpectedError = (reference: string): WireError => ({
  code: 'WORKER_ERROR',
  message: `The worker failed to handle this request (reference ${reference}).`,
  details: { reference },
});

/**
 * Turns anything thrown into a WireError that is safe to show a browser:
 * Warren errors keep their code and message; anything else becomes
 * `fallback` with its message only (never a stack trace).
 */
export const toWireError = (value: unknown, fallback: ErrorCode = 'INTERNAL'): WireError => {
  if (isWarrenError(value)) {
    return value.details === undefined ? { code: value.code, message: value.message } : { code: value.code, message: value.message, details: value.details };
  }
  if (value instanceof Error) return { code: fallback, message: value.message || value.name };
  if (typeof value === 'string') return { code: fallback, message: value };
  return { code: fallback, message: 'Unknown error' };
};
