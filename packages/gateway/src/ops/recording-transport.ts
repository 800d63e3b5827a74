// The gateway's transport with the operations console's ears on it: every
// request published, every response relayed, every cancel and dead letter
// passes through the call log and the dead-letter store on its way, and
// nothing else changes. One wrapper instead of hooks in the request
// pipeline, the reply relay and the dead-letter relay.
import { isFinal, isWarrenError } from '@warren/protocol';
import type { DeadLetter, Transport } from '@warren/transport';
import type { CallLog } from './call-log.ts';

export const recordingTransport = (inner: Transport, calls: CallLog, onDeadLetter: (dead: DeadLetter) => void): Transport => {
  /** The last response recorded of each retained call being read. */
  const recorded = new Map<string, { attempt: number; seq: number }>();
  return {
    ...inner,
    // Methods read `this`-free closures on both transports; status and kind stay live through these.
    status: () => inner.status(),
    onStatus: (listener) => inner.onStatus(listener),
    publishRequest(request) {
      calls.accepted(request);
      const published = inner.publishRequest(request);
      // A side branch, and the very promise handed back: recording adds no tick to the caller's await.
      published.then(
        () => calls.published(request.session, request.id),
        (error: unknown) =>
          calls.refused(
            request.session,
            request.id,
            isWarrenError(error) ? { code: error.code, message: error.message } : { code: 'INTERNAL', message: 'publish failed' },
          ),
      );
      return published;
    },
    consumeReplies(session, listener, options) {
      return inner.consumeReplies(
        session,
        (response, settle) => {
          calls.response(session, response);
          listener(response, settle);
        },
        options,
      );
    },
    consumeCall(call, listener) {
      // A retained call's request went out as session = id = call: its hops
      // are recorded under the call, each response once (a re-attach replays them all).
      return inner.consumeCall(call, {
        response(response) {
          const last = recorded.get(call);
          if (!last || response.attempt > last.attempt || (response.attempt === last.attempt && response.seq > last.seq)) {
            calls.response(call, response);
            if (isFinal(response)) recorded.delete(call);
            else recorded.set(call, { attempt: response.attempt, seq: response.seq });
          }
          listener.response(response);
        },
        gone() {
          recorded.delete(call);
          listener.gone();
        },
      });
    },
    async publishCancel(type, cancel) {
      await inner.publishCancel(type, cancel);
      calls.cancelSent(cancel.session, cancel.id);
    },
    consumeDeadLetters(listener) {
      return inner.consumeDeadLetters((dead, settle) => {
        onDeadLetter(dead);
        listener(dead, settle);
      });
    },
  };
};
