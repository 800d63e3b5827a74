// The `ctx` a handler receives, and the response stream behind sendChunk:
// numbers every message, bounds unconfirmed chunks, and refuses to send once
// the request was cancelled or its deadline passed.
import type { Logger } from 'pino';
import { createWarrenError, type Response, type WireError } from '@warren/protocol';
import type { Transport } from '@warren/transport';

export interface HandlerContext {
  /** Request id the client chose. */
  id: string;
  type: string;
  /** 1 on first delivery; higher when a previous worker died mid-request. */
  attempt: number;
  /** Verified caller identity from the gateway, if any. */
  principal: Record<string, unknown> | undefined;
  /** Aborted on cancel, deadline, shutdown timeout or lost delivery; `reason` is a WarrenError. */
  signal: AbortSignal;
  /** Absolute deadline in epoch ms, if the caller set a timeout. */
  deadline: number | undefined;
  /** Milliseconds left before the deadline (Infinity when none). */
  remainingMs(): number;
  traceparent: string | undefined;
  /** Streams one chunk to the caller. Resolves quickly; waits only when many chunks are unconfirmed. */
  sendChunk(data: unknown): Promise<void>;
  log: Logger;
}

export interface ResponseStream {
  /** Aborted when a response could not be published: the answer has a gap. */
  readonly broken: AbortSignal;
  chunk(data: unknown): Promise<void>;
  final(response: { kind: 'result'; data: unknown } | { kind: 'error'; error: WireError }): Promise<void>;
}

export const toJsonValue = (data: unknown, what: string): unknown => {
  if (data === undefined) return null;
  try {
    JSON.stringify(data);
    return data;
  } catch (error) {
    throw createWarrenError('WORKER_ERROR', `The handler's ${what} is not JSON-serialisable: ${(error as Error).message}`);
  }
};

export const createResponseStream = (
  transport: Transport,
  session: string,
  id: string,
  attempt: number,
  window: number,
): ResponseStream => {
  let seq = 0;
  const pending: Promise<void>[] = [];
  const broken = new AbortController();
  const send = (response: Response) => {
    const confirmed = transport.publishResponse(session, response);
    confirmed.catch((error: unknown) => {
      if (!broken.signal.aborted) broken.abort(error);
    });
    pending.push(confirmed);
    return confirmed;
  };
  return {
    broken: broken.signal,
    async chunk(data) {
      const value = toJsonValue(data, 'chunk');
      void send({ kind: 'chunk', id, seq: seq++, attempt, data: value });
      if (pending.length >= window) await Promise.all(pending.splice(0, pending.length - Math.floor(window / 2)));
    },
    async final(message) {
      const response: Response =
        message.kind === 'result'
          ? { kind: 'result', id, seq: seq++, attempt, data: message.data }
          : { kind: 'error', id, seq: seq++, attempt, error: message.error };
      send(response);
      // Every earlier chunk must be confirmed too before the request is acked.
      await Promise.all(pending);
    },
  };
};
