// Where the catalogue is read: `GET /registry` (codegen, curl, dashboards)
// and the `registry` socket event with an ack (backend.services(), which
// then works wherever the socket does: same origin, dev proxies, auth).
// The catalogue names every worker (host, pid) and schema, and costs a
// sweep and a snapshot to build: with authentication on, both ways need a
// caller the gateway would admit (and one of `registryRoles` when set), and
// the event is rate-limited per connection and refused once its token expired.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Socket } from 'socket.io';
import { EVENTS, type RegistryAck, type WireError } from '@warren/protocol';
import type { TokenVerifier } from '../plugins/authenticate.ts';
import { createTokenBuckets } from '../plugins/token-buckets.ts';
import type { ConnectionContext, Principal } from '../plugins/types.ts';
import type { GatewayRegistry } from './registry.ts';

/** Who may read the catalogue; absent = anyone (authentication off, or anonymous callers allowed). */
interface RegistryAccess {
  verify: TokenVerifier;
  /** A principal needs one of these; empty = any authenticated principal. */
  roles: readonly string[];
}

/** `registry` events per connection: a dashboard polls, a flood is refused. */
const REGISTRY_EVENTS_PER_SECOND = 2;
const REGISTRY_EVENTS_BURST = 10;

const hasRole = (principal: Principal | undefined, roles: readonly string[]) =>
  roles.length === 0 || (Array.isArray(principal?.roles) && principal.roles.some((r) => roles.includes(r)));

const bearer = (req: IncomingMessage): string | undefined => {
  const header = req.headers.authorization;
  const m = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return m?.[1];
};

const refuseHttp = (res: ServerResponse, status: number, error: WireError) => {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...(status === 401 ? { 'www-authenticate': 'Bearer' } : {}) });
  res.end(JSON.stringify({ error }));
};

/** Answers GET/HEAD /registry (http.ts routes to it); false when the request is not for it. */
export const registryRoute =
  (registry: Pick<GatewayRegistry, 'catalogue'>, access?: RegistryAccess) =>
  async (req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> => {
    if (pathname !== '/registry' || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
    const refuse = (status: number, error: WireError) => {
      refuseHttp(res, status, error);
      return true;
    };
    if (access) {
      const token = bearer(req);
      if (token === undefined) return refuse(401, { code: 'UNAUTHORIZED', message: 'GET /registry needs `Authorization: Bearer <token>`.' });
      let principal: Principal;
      try {
        const identity = await access.verify(token, {
          auth: {},
          headers: req.headers,
          ip: req.socket.remoteAddress ?? '',
          origin: typeof req.headers.origin === 'string' ? req.headers.origin : undefined,
        });
        if (identity.expiresAtMs !== undefined && identity.expiresAtMs <= Date.now()) throw new Error('expired');
        principal = identity.principal;
      } catch {
        return refuse(401, { code: 'UNAUTHORIZED', message: 'The token is invalid or expired.' });
      }
      if (!hasRole(principal, access.roles))
        return refuse(403, { code: 'FORBIDDEN', message: 'Reading the registry needs one of the roles in registryRoles.' });
    }
    const body = JSON.stringify(registry.catalogue());
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  };

/**
 * Answers `registry` socket events with the catalogue: returns what binds the
 * event on a socket. One listener and one budget table (keyed by socket) for
 * all sockets, so an idle connection holds neither (issue 16); Socket.IO
 * calls the listener with the socket as `this`.
 */
export const answerRegistryEvents = (
  registry: Pick<GatewayRegistry, 'catalogue'>,
  log: Logger,
  { access, now = Date.now }: { access?: RegistryAccess; now?: () => number } = {},
): ((socket: Socket) => void) => {
  const budget = createTokenBuckets(REGISTRY_EVENTS_PER_SECOND, REGISTRY_EVENTS_BURST, now);
  function onRegistry(this: Socket, _body: unknown, ack: unknown) {
    if (typeof ack !== 'function') return;
    const connection = this.data.connection as ConnectionContext | undefined;
    let answer: RegistryAck;
    const expires = connection?.expiresAtMs;
    if (budget.take(this.id) > 0) {
      answer = { ok: false, error: { code: 'RATE_LIMITED', message: `At most ${REGISTRY_EVENTS_PER_SECOND} registry reads per second per connection.` } };
    } else if (expires !== undefined && expires <= now()) {
      answer = { ok: false, error: { code: 'UNAUTHORIZED', message: 'Your credentials expired; reconnect with a fresh token.' } };
    } else if (access && (connection?.principal === undefined || !hasRole(connection.principal, access.roles))) {
      answer = {
        ok: false,
        error: { code: 'FORBIDDEN', message: 'Reading the registry needs an authenticated caller with one of the roles in registryRoles.' },
      };
    } else {
      try {
        answer = { ok: true, catalogue: registry.catalogue() };
      } catch (error) {
        log.error({ err: error }, 'registry: could not build the catalogue');
        answer = { ok: false, error: { code: 'INTERNAL', message: 'The gateway could not read its registry.' } };
      }
    }
    (ack as (answer: RegistryAck) => void)(answer);
  }
  return (socket) => {
    socket.on(EVENTS.registry, onRegistry);
  };
};
