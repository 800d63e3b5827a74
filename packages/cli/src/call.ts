// `warren call`: one request, chunks as JSON lines, result last.
import { createBackend, createMemorySessionStore, isWarrenError } from '@warren/client';

export interface CallIo {
  out(line: string): void;
  err(line: string): void;
}

export const call = async (
  cmd: { type: string; payload: unknown; url: string; timeoutMs: number | undefined },
  io: CallIo,
): Promise<number> => {
  const backend = createBackend({ url: cmd.url, sessionStore: createMemorySessionStore() });
  try {
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
