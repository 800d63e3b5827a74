// What each error code means to a person. Programs match on `code`; these
// words are for the screen, next to the code and the server's own message.
import type { ErrorCode } from '@warren/client';

export interface ErrorText {
  title: string;
  hint: string;
}

const TEXT: Record<ErrorCode, ErrorText> = {
  NO_HANDLER: {
    title: 'No service handles this request',
    hint: 'Nothing is running that can do this right now. If you run this app, start the service for it, or check the name.',
  },
  TIMEOUT: { title: 'This took too long', hint: 'It did not finish in the time allowed, so it was stopped. Try again, or allow more time.' },
  WORKER_ERROR: { title: 'The service ran into a problem', hint: 'The service failed while working on this. Trying again may help.' },
  INVALID_PAYLOAD: {
    title: 'Some input was not accepted',
    hint: 'The service checked what was sent and found something it cannot use. Change it and send again.',
  },
  INVALID_REQUEST: { title: 'The request could not be sent', hint: 'Something in the request itself was wrong, so it was not sent.' },
  CANCELLED: { title: 'Stopped', hint: 'You stopped this before it finished.' },
  EXPIRED: { title: 'This is no longer available', hint: 'The server kept it for a while after it ended, and that time has passed. Start it again.' },
  DELIVERY_LIMIT: {
    title: 'The service kept failing',
    hint: 'The service broke down on this several times, so it was set aside for the people who run it to look at.',
  },
  BROKER_UNAVAILABLE: { title: 'The backend is unavailable', hint: 'The server cannot pass work on to the services right now. Try again shortly.' },
  DISCONNECTED: { title: 'Connection lost', hint: 'The connection to the server closed before an answer arrived.' },
  UNAUTHORIZED: { title: 'Please sign in', hint: 'The server did not recognise this session.' },
  FORBIDDEN: { title: 'Not allowed', hint: 'This session may not make this request.' },
  RATE_LIMITED: { title: 'Too many requests', hint: 'Slow down a little and try again.' },
  PAYLOAD_TOO_LARGE: { title: 'Too much data', hint: 'The request is larger than the server accepts.' },
  DUPLICATE_ID: { title: 'The request could not be sent', hint: 'Its id was already used for a different request.' },
  SHUTTING_DOWN: { title: 'The server is restarting', hint: 'Try again in a moment.' },
  INTERNAL: { title: 'Something went wrong', hint: 'An unexpected error happened.' },
};

export const errorText = (code: ErrorCode): ErrorText => TEXT[code] ?? TEXT.INTERNAL;
