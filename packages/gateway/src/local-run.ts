// Runs a request a plugin chose to answer inside the gateway. Its chunks and
// final message go through the session's reply queue — the same path, the
// same envelope (id, seq, attempt 1) and the same browser-acked delivery a
// worker's responses take — so the client cannot tell the difference.
import type { Logger } from 'pino';
import { createWarrenError, isWarrenError, newErrorReference, toWireError, unexpectedError, type Response, type WarrenError, type WireError } from '@warren/protocol';
import type { Transport } from '@warren/transport';
import type { LocalHandler, LocalHandlerContext, Principal } from './plugins/types.ts';

export interface LocalRunInput {
  transport: Transport;
  sessionId: string;
  id: string;
  type: string;
  payload: unknown;
  principal: Principal | undefined;
  deadline: number;
  traceparent: string;
  log: Logger;
  now?: () => number;
}

export interface LocalRun {
  abort(reason: WarrenError): void;
  readonly done: Promise<void>;
}

const json = (data: unknown): unknown => {
  if (data === undefined) return null;
  JSON.stringify(data); // throws for cycles and BigInt: the handler's bug, reported as WORKER_ERROR
  return data;
};

export const runLocally = (handler: LocalHandler, input: LocalRunInput): LocalRun => {
  const { transport, sessionId, id, log } = input;
  const now = input.now ?? Date.now;
  const controller = new AbortController();
  const abort = (reason: WarrenError) => {
    if (!controller.signal.aborted) controller.abort(reason);
  };
  let seq = 0;
  const publish = (response: Response) => transport.publishResponse(sessionId, response);
  const timer = setTimeout(
    () => abort(createWarrenError('TIMEOUT', 'The request deadline passed while the handler was running.')),
    Math.max(0, input.deadline - now()),
  );
  const ctx: LocalHandlerContext = {
    id,
    type: input.type,
    attempt: 1,
    principal: input.principal,
    signal: controller.signal,
    deadline: input.deadline,
    remainingMs: () => Math.max(0, input.deadline - now()),
    traceparent: input.traceparent,
    log,
    async sendChunk(data) {
      if (controller.signal.aborted) throw controller.signal.reason;
      const value = json(data);
      await publish({ kind: 'chunk', id, seq: seq++, attempt: 1, data: value });
    },
  };

  const execute = async () => {
    let final: { kind: 'result'; data: unknown } | { kind: 'error'; error: WireError };
    try {
      const aborted = new Promise<never>((_, reject) =>
        controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true }),
      );
      aborted.catch(() => {});
      const data = await Promise.race([Promise.resolve().then(() => handler(input.payload, ctx)), aborted]);
      final = { kind: 'result', data: json(data) };
    } catch (error) {
      const reason = controller.signal.aborted ? controller.signal.reason : error;
      if (isWarrenError(reason)) final = { kind: 'error', error: toWireError(reason) };
      else {
        const reference = newErrorReference();
        log.error({ err: reason, reference }, 'local handler failed');
        final = { kind: 'error', error: unexpectedError(reference) };
      }
    } finally {
      clearTimeout(timer);
    }
    const response: Response =
      final.kind === 'result'
        ? { kind: 'result', id, seq: seq++, attempt: 1, data: final.data }
        : { kind: 'error', id, seq: seq++, attempt: 1, error: final.error };
    log.info({ outcome: final.kind === 'result' ? 'ok' : final.error.code, local: true }, 'request finished');
    await publish(response).catch((error: unknown) =>
      log.error({ err: (error as Error).message }, 'could not publish the final response of a local handler'),
    );
  };
  return { abort, done: execute() };
};
