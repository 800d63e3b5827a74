// Session tokens: `<session id>.<expiry>.<mac>`, where the mac is an HMAC
// (the gateways' shared sessionSecret) over the session id, the principal it
// was issued to and the expiry. So a token resumes its session only for the
// same principal (a stolen token is useless to another user) and only until
// it expires (the gateway refreshes it while the socket is connected, so a
// session outlives a token only while it is in use). Format and lifetime are
// documented in packages/protocol/spec/v1/protocol.md, "Session tokens".
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Principal } from './plugins/types.ts';

export interface Sessions {
  /** A new session for `subject` (see subjectOf). */
  create(subject: string): { sessionId: string; token: string };
  /** A fresh token for an existing session (same subject, new expiry). */
  refresh(sessionId: string, subject: string): string;
  /** The session id if the token is genuine, issued to `subject` and not expired; otherwise null. */
  verify(token: unknown, subject: string): string | null;
  /** How long a token stays valid, in ms. */
  readonly ttlMs: number;
}

/** What a session is bound to: the principal's `sub`, or "anon" for callers without one. */
export const subjectOf = (principal: Principal | undefined): string => (typeof principal?.sub === 'string' ? `sub:${principal.sub}` : 'anon');

const VERSION = 'warren-session-2';

export const createSessions = (secret: string, { ttlMs, now = Date.now }: { ttlMs: number; now?: () => number }): Sessions => {
  const sign = (id: string, subject: string, expSec: number) =>
    createHmac('sha256', secret).update(`${VERSION}\u0000${id}\u0000${subject}\u0000${expSec}`).digest('base64url');
  const tokenFor = (id: string, subject: string) => {
    const expSec = Math.ceil((now() + ttlMs) / 1000);
    return `${id}.${expSec}.${sign(id, subject, expSec)}`;
  };
  return {
    ttlMs,
    create(subject) {
      const sessionId = randomBytes(18).toString('base64url');
      return { sessionId, token: tokenFor(sessionId, subject) };
    },
    refresh: tokenFor,
    verify(token, subject) {
      if (typeof token !== 'string' || token.length > 200) return null;
      const [id, exp, mac, extra] = token.split('.');
      if (!id || !exp || !mac || extra !== undefined || !/^[A-Za-z0-9_-]{16,64}$/.test(id) || !/^[0-9]{1,12}$/.test(exp)) return null;
      const expSec = Number(exp);
      const expected = Buffer.from(sign(id, subject, expSec));
      const given = Buffer.from(mac);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
      return expSec * 1000 > now() ? id : null;
    },
  };
};
