// W3C trace context (https://www.w3.org/TR/trace-context/): the gateway
// forwards a client's valid version-00 `traceparent` unchanged and makes one
// when the client sent none (or an invalid one), so every request is
// traceable. A later version is never forwarded as sent (its tail could carry
// anything into AMQP headers and logs): as the spec asks of a version-00
// implementation, its trace id, parent id and flags are kept and re-sent as
// version 00.
import { randomBytes } from 'node:crypto';

const VERSION_00 = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
// A later version: the same first four fields, then nothing or `-` and more.
const LATER_VERSION = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:$|-)/;

const idsValid = (traceId: string, parentId: string) => !/^0+$/.test(traceId) && !/^0+$/.test(parentId);

/** A version-00 traceparent with non-zero ids: the only form forwarded as sent. */
export const isValidTraceparent = (value: unknown): value is string => {
  if (typeof value !== 'string') return false;
  const m = VERSION_00.exec(value);
  return m !== null && idsValid(m[1]!, m[2]!);
};

// Random bytes are drawn a page at a time: two randomBytes() calls per
// request were 3–5 % of the gateway's CPU at C=64 (issue 16's profile); the
// bytes come from the same CSPRNG, each used once. The page is turned into
// hex once, and each id is a slice of that text: two `toString('hex')`
// calls per request were ≈ 1 % of the fast lane's gateway profile.
const POOL_BYTES = 4096;
let pool = '';
let used = 0;
const randomHex = (chars: number): string => {
  if (used + chars > pool.length) {
    pool = randomBytes(POOL_BYTES).toString('hex');
    used = 0;
  }
  used += chars;
  return pool.slice(used - chars, used);
};

export const newTraceparent = (): string => `00-${randomHex(32)}-${randomHex(16)}-01`;

export const traceparentFor = (fromClient: unknown): string => {
  if (isValidTraceparent(fromClient)) return fromClient;
  if (typeof fromClient === 'string' && fromClient.length <= 512) {
    const m = LATER_VERSION.exec(fromClient);
    if (m && m[1] !== '00' && m[1] !== 'ff' && idsValid(m[2]!, m[3]!)) return `00-${m[2]}-${m[3]}-${m[4]}`;
  }
  return newTraceparent();
};
