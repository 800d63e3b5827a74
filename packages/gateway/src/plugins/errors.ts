// Errors a browser may see: Warren errors keep their code and message;
// anything else becomes a generic message (the real one goes to the log),
// so no stack, file or internal name ever leaves the gateway.
import { createWarrenError, isWarrenError, type ErrorCode, type WireError } from '@warren/protocol';

export const refuse = (code: ErrorCode, message: string, details?: Record<string, unknown>) =>
  createWarrenError(code, message, details === undefined ? {} : { details });

export const toBrowserError = (error: unknown, fallback: WireError): WireError => {
  if (!isWarrenError(error)) return fallback;
  return error.details === undefined ? { code: error.code, message: error.message } : { code: error.code, message: error.message, details: error.details };
};
