// Admission: the plugins' onHandshake hooks run at every Engine.IO handshake
// (Socket.IO's allowRequest — before a WebSocket upgrade is accepted), and
// their onConnect hooks run as Socket.IO middleware, so a refused client gets
// `connect_error` with `data: { code, message }` and never a session.
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { Server, Socket } from 'socket.io';
import type { WireError } from '@warren/protocol';
import type { GatewayMetrics } from './metrics.ts';
import type { PluginChain } from './plugins/compose.ts';
import { toBrowserError } from './plugins/errors.ts';
import type { ConnectionContext, HandshakeInfo } from './plugins/types.ts';

interface AdmissionDeps {
  chain: PluginChain;
  metrics: GatewayMetrics;
  log: Logger;
  /** Take the client address from X-Forwarded-For (its last hop, the one your load balancer added). */
  trustProxy: boolean;
}

const INTERNAL: WireError = { code: 'INTERNAL', message: 'The gateway could not admit the connection.' };

const refusal = (deps: AdmissionDeps, error: unknown, what: string): WireError => {
  const wire = toBrowserError(error, INTERNAL);
  if (wire === INTERNAL) deps.log.error({ err: error }, `${what} failed inside a plugin`);
  deps.metrics.rejected(wire.code);
  return wire;
};

/** For Socket.IO's `allowRequest` option. */
export const allowRequest =
  (deps: AdmissionDeps) =>
  (req: IncomingMessage, callback: (message: string | null | undefined, success: boolean) => void): void => {
    deps.chain.handshake(req).then(
      () => callback(null, true),
      (error: unknown) => {
        const wire = refusal(deps, error, 'handshake');
        deps.log.info({ code: wire.code, origin: req.headers.origin, ip: req.socket.remoteAddress }, 'handshake refused');
        callback(`${wire.code}: ${wire.message}`, false);
      },
    );
  };

const handshakeInfo = (socket: Socket, trustProxy: boolean): HandshakeInfo => {
  const { headers, address } = socket.handshake;
  const forwarded = trustProxy && typeof headers['x-forwarded-for'] === 'string' ? headers['x-forwarded-for'].split(',').pop()?.trim() : undefined;
  const auth = socket.handshake.auth;
  return {
    auth: auth !== null && typeof auth === 'object' && !Array.isArray(auth) ? (auth as Record<string, unknown>) : {},
    headers,
    ip: forwarded || address,
    origin: typeof headers.origin === 'string' ? headers.origin : undefined,
  };
};

/** Installs the onConnect middleware; admitted sockets carry their ConnectionContext in `socket.data.connection`. */
export const admitConnections = (io: Server, deps: AdmissionDeps): void => {
  // A connection's log child is made when something first logs through it:
  // hooks log on refusals, so an admitted idle connection never holds one
  // (issue 16). One getter, on the prototype, for every connection.
  const logs = new WeakMap<object, Logger>();
  const lazyLog = {
    get log(): Logger {
      let child = logs.get(this);
      if (child === undefined) logs.set(this, (child = deps.log.child({ socketId: (this as unknown as ConnectionContext).socketId })));
      return child;
    },
    // As writable as the plain property it was (a hook may give a connection its own logger).
    set log(value: Logger) {
      logs.set(this, value);
    },
  };
  io.use((socket, next) => {
    const connection: ConnectionContext = Object.assign(Object.create(lazyLog) as Pick<ConnectionContext, 'log'>, {
      socketId: socket.id,
      handshake: handshakeInfo(socket, deps.trustProxy),
      principal: undefined,
      expiresAtMs: undefined,
    });
    deps.chain.connect(connection).then(
      () => {
        socket.data.connection = connection;
        next();
      },
      (error: unknown) => {
        const wire = refusal(deps, error, 'connect');
        connection.log.info({ code: wire.code, ip: connection.handshake.ip }, 'connection refused');
        next(Object.assign(new Error(wire.message), { data: wire }));
        // The client gives up on a refused socket; do not keep its transport open either.
        setImmediate(() => socket.conn.close());
      },
    );
  });
};
