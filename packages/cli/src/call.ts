// `warren call`: one request, chunks as JSON lines, result last.
import { createBackend, createMemorySessionStore, isWarrenError, type Backend } from '@warren/client';
import { createWarrenError } from '@warren/protocol';

export interface CallIo {
  out(line: string): void;
  err(line: string): void;
}

/** A person at a terminal should not wait a minute to learn nothing is listening. */
export const CONNECT_TIMEOUT_MS = 5000;

const connected = (backend: Backend, url: string, timeoutMs: number) =>
  new Promise<void>((resolve, reject) => {
    if (backend.status() === 'connected') return resolve();
    const timer = setTimeout(() => {
      unsubscribe();
      reject(createWarrenError('DISCONNECTED', `Cannot reach a Warren gateway at ${url} (is \`npm start\` running? pass --url).`));
    }, timeoutMs);
    const unsubscribe = backend.subscribe(() => {
      // offline = the gateway refused us (a bad or missing token, a refused
      // origin): stop waiting, and the call below fails with the gateway's code.
      if (backend.status() !== 'connected' && backend.status() !== 'offline') return;
      clearTimeout(timer);
      unsubscribe();
      resolve();
    });
  });

/** Exit status after Ctrl-C, as shells report SIGINT. */
export const CANCELLED_EXIT = 130;

const HINTS: Partial<Record<string, string>> = {
  UNAUTHORIZED: 'the gateway requires authentication: pass --token JWT or set WARREN_TOKEN',
  FORBIDDEN: 'the gateway refused this client (its token lacks a role, or its origin is not allowed)',
};

export const call = async (
  cmd: { type: string; payload: unknown; url: string; timeoutMs: number | undefined; token?: string | undefined },
  io: CallIo,
  connectTimeoutMs = CONNECT_TIMEOUT_MS,
  /** Aborted on Ctrl-C: the request is cancelled at the worker. */
  signal?: AbortSignal,
): Promise<number> => {
  const backend = createBackend({ url: cmd.url, sessionStore: createMemorySessionStore(), ...(cmd.token ? { token: cmd.token } : {}) });
  try {
    await connected(backend, cmd.url, connectTimeoutMs);
    const result = await backend.makeBackendRequest(cmd.type, cmd.payload, {
      onChunk: (chunk) => io.out(JSON.stringify(chunk)),
      onRestart: (attempt) => io.err(`stream restarted (attempt ${attempt}); chunks follow again from the start`),
      ...(cmd.timeoutMs === undefined ? {} : { timeoutMs: cmd.timeoutMs }),
      ...(signal ? { signal } : {}),
    });
    io.out(JSON.stringify(result));
    return 0;
  } catch (error) {
    if (isWarrenError(error)) {
      const hint = HINTS[error.code];
      io.err(`${error.code}: ${error.message}${hint ? ` (${hint})` : ''}`);
      if (error.code === 'CANCELLED' && signal?.aborted) return CANCELLED_EXIT;
    } else io.err(`INTERNAL: ${(error as Error).message}`);
    return 1;
  } finally {
    // A cancel sent on Ctrl-C must leave before the process does.
    await backend.close();
  }
};
