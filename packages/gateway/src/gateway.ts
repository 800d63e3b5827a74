// createGateway: the Socket.IO ↔ broker bridge. Validates its options, reaches
// the broker through the transport seam, serves HTTP (health, static files)
// and one Socket.IO server, and shuts down without losing responses.
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import { Server } from 'socket.io';
import { createAmqpTransport, type Transport } from '@warren/transport';
import { createAcceptedRequests } from './accepted-requests.ts';
import { relayDeadLetters } from './dead-letters.ts';
import { createHttpHandler } from './http.ts';
import { parseGatewayOptions, type GatewayOptionsInput } from './options.ts';
import { createSessions } from './session.ts';
import { attachSocket } from './socket-session.ts';

export interface CreateGatewayOptions extends GatewayOptionsInput {
  /** Broker seam; defaults to RabbitMQ at `url`. Pass a memory transport in tests or the embedded demo. */
  transport?: Transport;
  log?: Logger;
}

export interface Gateway {
  /** e.g. http://127.0.0.1:3000 */
  readonly url: string;
  readonly port: number;
  readonly transport: Transport;
  readonly io: Server;
  readonly http: HttpServer;
  /** Stops taking requests, disconnects sockets (they resume elsewhere), closes the broker connection. */
  close(): Promise<void>;
}

export const createGateway = async (input: CreateGatewayOptions = {}): Promise<Gateway> => {
  const { transport: injected, log: injectedLog, ...rest } = input;
  const options = parseGatewayOptions(rest);
  const log = injectedLog ?? pino({ name: 'warren-gateway', level: options.logLevel });
  const transport =
    injected ??
    (await createAmqpTransport({
      url: options.url,
      namespace: options.namespace,
      log: log.child({ component: 'transport' }),
      connectTimeoutMs: options.connectTimeoutMs,
      connectionName: 'warren-gateway',
    }));
  transport.onStatus((status) => log.info({ broker: status }, 'broker status changed'));
  let draining = false;

  const http = createServer(
    createHttpHandler({
      staticDir: options.staticDir,
      ready: () => ({ ready: !draining && transport.status() === 'connected', broker: transport.status() }),
    }),
  );
  const io = new Server(http, {
    maxHttpBufferSize: options.maxFrameBytes,
    serveClient: false,
    ...(options.corsOrigins.length > 0 ? { cors: { origin: options.corsOrigins } } : {}),
  });
  const sessions = createSessions(options.sessionSecret);
  const accepted = createAcceptedRequests();
  const deadLetters = await relayDeadLetters(transport, log);
  io.on('connection', (socket) => {
    try {
      attachSocket(socket, { transport, sessions, options, log, accepted, isDraining: () => draining });
    } catch (error) {
      log.error({ err: error }, 'socket setup failed');
      socket.disconnect(true);
    }
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, options.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const host = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  const url = `http://${host}:${port}`;
  log.info({ url, namespace: options.namespace, transport: transport.kind, staticDir: options.staticDir }, 'gateway listening');

  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    transport,
    io,
    http,
    close: () =>
      (closing ??= (async () => {
        draining = true;
        log.info('gateway closing');
        // Sockets first: their unacked responses go back to the session queues.
        io.disconnectSockets(true);
        const closed = new Promise<void>((resolve) => io.close(() => resolve()));
        // Keep-alive HTTP connections would hold close() open until they time out.
        http.closeIdleConnections();
        await closed;
        await deadLetters.close();
        if (!injected) await transport.close();
        log.info('gateway closed');
      })()),
  };
};
