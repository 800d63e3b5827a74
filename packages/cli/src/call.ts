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
      if (backend.status() !== 'connected') return;
      clearTimeout(timer);
      unsubscribe();
      resolve();
    });
  });

export const call = async (
  cmd: { type: string; payload: unknown; url: string; timeoutMs: number | undefined; token?: string | undefined },
  io: CallIo,
  connectTimeoutMs = CONNECT_TIMEOUT_MS,
): Promise<number> => {
  const backend = createBackend({ url: cmd.url, sessionStore: createMemorySessionStore(), ...(cmd.token ? { token: cmd.token } : {}) });
  try {
    await connected(backend, cmd.url, connectTimeoutMs);
    const result = await backend.makeBackendRequest(cmd.type, cmd.payload, {
      onChunk: (chunk) => io.out(JSON.stringify(chunk)),
      onRestart: (attempt) => io.err(`stream restarted (attempt ${attempt}); chunks follow again from the start`),
      ...(cmd.timeoutMs === undefined ? {} : { timeoutMs: cmd.timeoutMs }),
    });
    io.out(JSON.stringify(result));
    return 0;
  } catch (error) {
    if (isWarrenError(error)) io.err(`${error.code}: ${error.message}`);
    else io.err(`INTERNAL: ${(error as Error).message}`);
    return 1;
  } finally {
    backend.close();
  }
};
