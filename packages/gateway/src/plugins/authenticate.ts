// authenticate: verifies the caller's token once at the Socket.IO handshake
// (a JWT verifier or your own async function), puts the principal on the
// connection, and re-checks expiry on every request. Anonymous callers get
// in only when allowed explicitly.
import { z } from 'zod';
import { isWarrenError } from '@warren/protocol';
import { parsePluginOptions } from './plugin-options.ts';
import { refuse } from './errors.ts';
import type { GatewayPlugin, HandshakeInfo, Principal } from './types.ts';

export interface Identity {
  principal: Principal;
  /** When the credentials stop being valid, epoch ms (a JWT's `exp`). */
  expiresAtMs?: number;
}

/** Resolves the caller of a token, or throws (a WarrenError keeps its code; anything else is UNAUTHORIZED). */
export type TokenVerifier = (token: string, handshake: HandshakeInfo) => Promise<Identity>;

const schema = z.object({
  verify: z.custom<TokenVerifier>((v) => typeof v === 'function', 'expected an async function (token, handshake) => { principal }'),
  /** Let callers without a token in (principal undefined). A token that fails verification is refused regardless. @default false */
  allowAnonymous: z.boolean().default(false),
  /** Clock, for tests. */
  now: z.custom<() => number>((v) => typeof v === 'function').optional(),
});

export type AuthenticateOptions = z.input<typeof schema>;

/** The token a client presented: Socket.IO `auth.token`, else an `Authorization: Bearer` header. */
export const tokenOf = (handshake: HandshakeInfo): string | undefined => {
  const fromAuth = handshake.auth.token;
  if (typeof fromAuth === 'string' && fromAuth !== '') return fromAuth;
  const header = handshake.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1];
};

export const authenticate = (input: AuthenticateOptions): GatewayPlugin => {
  const options = parsePluginOptions('authenticate', schema, input);
  const now = options.now ?? Date.now;
  return {
    name: 'authenticate',
    async onConnect(connection) {
      // Whatever a client claims about itself is ignored: only the verifier sets these.
      connection.principal = undefined;
      connection.expiresAtMs = undefined;
      const token = tokenOf(connection.handshake);
      if (token === undefined) {
        if (options.allowAnonymous) return;
        throw refuse('UNAUTHORIZED', 'A token is required to connect.');
      }
      if (token.length > 8192) throw refuse('UNAUTHORIZED', 'The token is too long.');
      let identity: Identity;
      try {
        identity = await options.verify(token, connection.handshake);
      } catch (error) {
        if (isWarrenError(error) && (error.code === 'UNAUTHORIZED' || error.code === 'FORBIDDEN')) throw error;
        connection.log.info({ reason: (error as Error)?.message }, 'token verification failed');
        throw refuse('UNAUTHORIZED', 'The token is invalid.');
      }
      if (identity === null || typeof identity !== 'object' || identity.principal === null || typeof identity.principal !== 'object') {
        connection.log.error('token verifier returned no principal');
        throw refuse('UNAUTHORIZED', 'The token is invalid.');
      }
      if (identity.expiresAtMs !== undefined && identity.expiresAtMs <= now()) {
        throw refuse('UNAUTHORIZED', 'The token has expired.');
      }
      connection.principal = identity.principal;
      connection.expiresAtMs = identity.expiresAtMs;
    },
    async onRequest(ctx, next) {
      const expires = ctx.connection.expiresAtMs;
      if (expires !== undefined && expires <= now()) {
        throw refuse('UNAUTHORIZED', 'Your credentials expired; reconnect with a fresh token.');
      }
      await next();
    },
  };
};
