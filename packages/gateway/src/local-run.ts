// Runs a request a plugin chose to answer inside the gateway, on the handler
// runtime workers use (protocol's startHandlerRun: same ctx, abort race and
// error mapping). Its chunks and final message go through the session's reply
// queue — the same path, the same envelope (id, seq, attempt 1) and the same
// browser-acked delivery a worker's responses take — so the client cannot
// tell the difference. As a worker does, it hands the transport the JSON text
// its check already made (DATA_JSON): the data is stringified once, not twice.
import type { Logger } from 'pino';
import { jsonChecked, startHandlerRun, type Principal, type WarrenError } from '@warren/protocol';
import { withDataJson, type OutgoingResponse, type WorkerTransport } from '@warren/transport';
import type { LocalHandler, LocalRunFields } from './plugins/types.ts';

interface LocalRunInput {
  /** A local run answers as a worker would: through the session's reply queue. */
  transport: WorkerTransport;
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

export const runLocally = (handler: LocalHandler, input: LocalRunInput): LocalRun => {
  const { transport, sessionId, id, log } = input;
  let seq = 0;
  const publish = (response: OutgoingResponse) => transport.publishResponse(sessionId, response);
  const run = startHandlerRun<LocalRunFields, Logger>(
    { id, type: input.type, attempt: 1, principal: input.principal, deadline: input.deadline, traceparent: input.traceparent },
    {
      log: () => log,
      sendChunk: async (data) => {
        const [value, , json] = jsonChecked(data, 'chunk');
        await publish(withDataJson({ kind: 'chunk', id, seq: seq++, attempt: 1, data: value }, json));
      },
      ...(input.now === undefined ? {} : { now: input.now }),
    },
  );

  const execute = async () => {
    const final = await run.settle(handler, input.payload, (reason, reference) => log.error({ err: reason, reference }, 'local handler failed'));
    const response: OutgoingResponse =
      final.kind === 'result'
        ? withDataJson({ kind: 'result', id, seq: seq++, attempt: 1, data: final.data }, final.dataJson)
        : { kind: 'error', id, seq: seq++, attempt: 1, error: final.error };
    log.info({ outcome: final.kind === 'result' ? 'ok' : final.error.code, local: true }, 'request finished');
    await publish(response).catch((error: unknown) => log.error({ err: (error as Error).message }, 'could not publish the final response of a local handler'));
  };
  return { abort: run.abort, done: execute() };
};
