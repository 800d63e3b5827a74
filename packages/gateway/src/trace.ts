// W3C trace context (https://www.w3.org/TR/trace-context/): the gateway
// forwards a client's valid `traceparent` unchanged and makes one when the
// client sent none (or an invalid one), so every request is traceable.
import { randomBytes } from 'node:crypto';

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

export const isValidTraceparent = (value: unknown): value is string => {
  if (typeof value !== 'string') return false;
  const m = TRACEPARENT.exec(value);
  if (!m) return false;
  const [, version, traceId, parentId, , rest] = m;
  if (version === 'ff' || /^0+$/.test(traceId!) || /^0+$/.test(parentId!)) return false;
  // Version 00 has exactly four fields; later versions may append more.
  return version !== '00' || rest === undefined;
};

export const newTraceparent = (): string => `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;

export const traceparentFor = (fromClient: unknown): string => (isValidTraceparent(fromClient) ? fromClient : newTraceparent());
