// The gateway's transport with the operations console's ears on it: every
// request published, every response relayed, every cancel and dead letter
// passes through the call log and the dead-letter store on its way, and
// nothing else changes. One wrapper instead of hooks in the request
// pipeline, the reply relay and the dead-letter relay.
import { isWarrenError } from '@warren/protocol';
import type { DeadLetter, Transport } from '@warren/transport';
import type { CallLog } from './call-log.ts';

export const recordingTransport = (inner: Transport, calls: CallLog, onDeadLetter: (dead: DeadLetter) => void): Transport => ({
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
});
