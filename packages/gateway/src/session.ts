// Session tokens: an unguessable id plus an HMAC of it, so only the session's
// owner can resume it on any gateway that shares the secret.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface Sessions {
  create(): { sessionId: string; token: string };
  /** The session id if the token is genuine, otherwise null. */
  verify(token: unknown): string | null;
}

export const createSessions = (secret: string): Sessions => {
  const sign = (id: string) => createHmac('sha256', secret).update(id).digest('base64url');
  const tokenFor = (id: string) => `${id}.${sign(id)}`;
  return {
    create() {
      const sessionId = randomBytes(18).toString('base64url');
      return { sessionId, token: tokenFor(sessionId) };
    },
    verify(token) {
      if (typeof token !== 'string' || token.length > 200) return null;
      const [id, mac, extra] = token.split('.');
      if (!id || !mac || extra !== undefined || !/^[A-Za-z0-9_-]{16,64}$/.test(id)) return null;
      const expected = Buffer.from(sign(id));
      const given = Buffer.from(mac);
      return given.length === expected.length && timingSafeEqual(given, expected) ? id : null;
    },
  };
};
