// Where the catalogue is read: `GET /registry` (codegen, curl, dashboards)
// and the `registry` socket event with an ack (backend.services(), which
// then works wherever the socket does: same origin, dev proxies, auth).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Socket } from 'socket.io';
import { EVENTS, type RegistryAck } from '@warren/protocol';
import type { GatewayRegistry } from './registry.ts';

type HttpHandler = (req: IncomingMessage, res: ServerResponse) => unknown;

/** Serves GET/HEAD /registry; hands every other request to `next`. */
export const withRegistryRoute = (registry: Pick<GatewayRegistry, 'catalogue'>, next: HttpHandler): HttpHandler => (req, res) => {
  const path = new URL(req.url ?? '/', 'http://gateway').pathname;
  if (path !== '/registry' || (req.method !== 'GET' && req.method !== 'HEAD')) return next(req, res);
  const body = JSON.stringify(registry.catalogue());
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(req.method === 'HEAD' ? undefined : body);
};

/** Answers `registry` socket events with the catalogue. */
export const answerRegistryEvents = (socket: Socket, registry: Pick<GatewayRegistry, 'catalogue'>, log: Logger) => {
  socket.on(EVENTS.registry, (_body: unknown, ack: unknown) => {
    if (typeof ack !== 'function') return;
    let answer: RegistryAck;
    try {
      answer = { ok: true, catalogue: registry.catalogue() };
    } catch (error) {
      log.error({ err: error }, 'registry: could not build the catalogue');
      answer = { ok: false, error: { code: 'INTERNAL', message: 'The gateway could not read its registry.' } };
    }
    (ack as (answer: RegistryAck) => void)(answer);
  });
};
