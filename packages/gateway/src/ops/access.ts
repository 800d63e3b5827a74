// Who may use the operations console over HTTP: a caller the gateway's own
// authentication accepts (the same JWT options or verifyToken, token in
// `Authorization: Bearer …`) whose principal has the operator role; or
// anyone, when `opsAllowAnonymous` says so (a local demo). Off otherwise:
// with no authentication configured and no explicit option, nobody.
import type { IncomingMessage } from 'node:http';
import type { TokenVerifier } from '../plugins/authenticate.ts';
import type { Principal } from '../plugins/types.ts';
import type { GatewayOptions } from '../options.ts';

export type OpsAccess =
  | { ok: true; principal: string; sub: string | undefined }
  | { ok: false; status: 401 | 403; code: 'UNAUTHORIZED' | 'FORBIDDEN'; message: string };

const bearerOf = (req: IncomingMessage): string | undefined => {
  const header = req.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S{1,8192})$/i.exec(header) : null;
  return match?.[1];
};

/** The principal of an HTTP request's bearer token, or null (none, or not valid). */
export const principalOf = async (req: IncomingMessage, verify: TokenVerifier | undefined): Promise<Principal | null> => {
  const token = bearerOf(req);
  if (!verify || token === undefined) return null;
  try {
    const identity = await verify(token, {
      auth: {},
      headers: req.headers,
      ip: req.socket.remoteAddress ?? '',
      origin: typeof req.headers.origin === 'string' ? req.headers.origin : undefined,
    });
    if (!identity?.principal || typeof identity.principal !== 'object') return null;
    if (identity.expiresAtMs !== undefined && identity.expiresAtMs <= Date.now()) return null;
    return identity.principal;
  } catch {
    return null;
  }
};

export const createOpsAccess =
  (options: GatewayOptions, verify: TokenVerifier | undefined) =>
  async (req: IncomingMessage): Promise<OpsAccess> => {
    const principal = await principalOf(req, verify);
    const sub = typeof principal?.sub === 'string' ? principal.sub : undefined;
    if (principal && Array.isArray(principal.roles) && principal.roles.includes(options.opsRole)) return { ok: true, principal: `sub:${sub ?? '?'}`, sub };
    if (options.opsAllowAnonymous) return { ok: true, principal: sub ? `sub:${sub}` : 'anonymous (opsAllowAnonymous)', sub };
    if (!verify) {
      return {
        ok: false,
        status: 403,
        code: 'FORBIDDEN',
        message: 'The operations console is off: this gateway has no authentication configured and opsAllowAnonymous is not set.',
      };
    }
    if (!principal) return { ok: false, status: 401, code: 'UNAUTHORIZED', message: 'Sign in with an operator token to use the operations console.' };
    return { ok: false, status: 403, code: 'FORBIDDEN', message: `Your account does not have the "${options.opsRole}" role.` };
  };
