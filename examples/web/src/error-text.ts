// What each error code means to a person. Programs match on `code`; these
// words are for the screen, next to the code and the server's own message.
import type { ErrorCode } from '@warren/client';

export interface ErrorText {
  title: string;
  hint: string;
}

const TEXT: Record<ErrorCode, ErrorText> = {
  NO_HANDLER: { title: 'No service handles this request', hint: 'Nothing is running that serves this request type. Start a worker for it, or check the name.' },
  TIMEOUT: { title: 'This took too long', hint: 'The request did not finish before its deadline, so it was stopped.' },
  WORKER_ERROR: { title: 'The service ran into a problem', hint: 'The worker failed while handling the request. Trying again may help.' },
  INVALID_PAYLOAD: { title: 'Some input was not accepted', hint: 'The service checked the input and found something it cannot use.' },
  INVALID_REQUEST: { title: 'The request could not be sent', hint: 'The request itself was malformed.' },
  CANCELLED: { title: 'Cancelled', hint: 'The request was stopped before it finished.' },
  DELIVERY_LIMIT: { title: 'The service kept failing', hint: 'Workers crashed on this request several times, so it was set aside.' },
  BROKER_UNAVAILABLE: { title: 'The backend is unavailable', hint: 'The gateway cannot reach the message broker right now. Try again shortly.' },
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
