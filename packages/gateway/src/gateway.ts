// createGateway: the Socket.IO ↔ broker bridge. Validates its options and
// plugins, reaches the broker through the transport seam, serves HTTP
// (health, readiness, metrics, static files) and one Socket.IO server whose
// connections and requests pass the plugin chain, and shuts down without
// losing responses.
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import { Server } from 'socket.io';
import { createAmqpTransport, type Transport } from '@warren/transport';
import { createInFlightTable } from './in-flight.ts';
import { createClientLogWriter } from './client-log.ts';
import { relayDeadLetters } from './dead-letters.ts';
import { admitConnections, allowRequest } from './admission.ts';
import { createHttpHandler, createMetricsHandler } from './http.ts';
import { createOps } from './ops/index.ts';
import type { LocalRun } from './local-run.ts';
import { createGatewayMetrics, type GatewayMetrics } from './metrics.ts';
import { createQueuePositions } from './queue-positions.ts';
import { parseGatewayOptions, type GatewayOptionsInput } from './options.ts';
import type { ReplyRelay } from './reply-relay.ts';
import type { TokenVerifier } from './plugins/authenticate.ts';
import { builtinPlugins, resolveVerifier } from './plugins/builtins.ts';
import { checkPlugins, composePlugins } from './plugins/compose.ts';
import type { GatewayPlugin } from './plugins/types.ts';
import { answerRegistryEvents, createGatewayRegistry, registryRoute, validatePayload, type GatewayRegistry } from './registry/index.ts';
import { createSessions } from './session-tokens.ts';
import { createConnections } from './connection.ts';
import { createGatewayFastLane } from './fast-lane.ts';
import { configError, createWarrenError } from '@warren/protocol';

export interface CreateGatewayOptions extends GatewayOptionsInput {
  /** Broker seam; defaults to RabbitMQ at `url`. Pass a memory transport in tests or the embedded demo. */
  transport?: Transport;
  log?: Logger;
  /** Your plugins, run in order after the built-ins (origin, auth, limits). See docs/plugins.md. */
  plugins?: GatewayPlugin[];
  /** Your own token check instead of JWT options: resolves `{ principal, expiresAtMs? }` or throws. */
  verifyToken?: TokenVerifier;
}

export interface Gateway {
  /** e.g. http://127.0.0.1:3000 */
  readonly url: string;
  readonly port: number;
  readonly transport: Transport;
  readonly io: Server;
  readonly http: HttpServer;
  /** Prometheus metrics (also served at GET /metrics, on metricsPort when set). */
  readonly metrics: GatewayMetrics;
  /** Where GET /metrics is served when metricsPort is set. */
  readonly metricsUrl: string | undefined;
  /** The live service registry (also served at GET /registry and on the `registry` socket event). */
  readonly registry: GatewayRegistry;
  /** Stops taking requests, disconnects sockets (they resume elsewhere), closes the broker connection. */
  close(): Promise<void>;
}

export const createGateway = async (input: CreateGatewayOptions = {}): Promise<Gateway> => {
  const { transport: injected, log: injectedLog, plugins: userPlugins = [], verifyToken, ...rest } = input;
  const options = parseGatewayOptions(rest);
  if (verifyToken !== undefined && typeof verifyToken !== 'function') {
    throw configError('gateway options', [{ path: 'verifyToken', message: 'expected an async function (token, handshake) => { principal }' }]);
  }
  // Plugins are checked before anything connects: a bad one fails the boot.
  const registry = createGatewayRegistry();
  // Payloads are checked against announced schemas after auth and limits, before yours.
  const verify = resolveVerifier(options, verifyToken);
  const plugins = [...builtinPlugins(options, verify), validatePayload(registry), ...checkPlugins(userPlugins)];
  // With authentication on and anonymous callers refused, the catalogue (worker hosts, pids, schemas) is for them only.
  const registryAccess = verify !== undefined && !(options.allowAnonymous ?? false) ? { verify, roles: options.registryRoles } : undefined;
  const log = injectedLog ?? pino({ name: 'warren-gateway', level: options.logLevel });
  const chain = composePlugins(plugins, log);
  const brokerTransport =
    injected ??
    (await createAmqpTransport({
      url: options.url,
      namespace: options.namespace,
      log: log.child({ component: 'transport' }),
      connectTimeoutMs: options.connectTimeoutMs,
      publishWaitMs: options.brokerWaitMs,
      replyQueueType: options.replyQueueType,
      connectionName: 'warren-gateway',
    }));
  // The operations console listens on the transport: calls' hops, dead letters (ops/).
  const ops = createOps(brokerTransport, options, log, verify);
  const transport = ops.transport;
  const sessions = createSessions(options.sessionSecret, { ttlMs: options.sessionTokenTtlMs });
  transport.onStatus((status) => log.info({ broker: status }, 'broker status changed'));
  let draining = false;
  let topologyDeclared = false;
  const relays = new Set<ReplyRelay>();
  const relaysDown = () => [...relays].filter((r) => !r.healthy()).length;
  const locals = new Set<LocalRun>();
  let io: Server | undefined;
  const metrics = createGatewayMetrics({
    transport,
    connectedSockets: () => io?.sockets.sockets.size ?? 0,
    inFlight: () => inFlight.size(),
  });
  // An accepted request whose answer never came (deadline + grace passed) is counted, not forgotten.
  const inFlight = createInFlightTable({ onLost: (type) => metrics.finished(type, 'lost') });

  const renderMetrics = async () => ({ contentType: metrics.contentType, body: await metrics.render() });
  const http = createServer(
    ops.routes({ sessions, registry, metrics })(
      createHttpHandler({
        staticDir: options.staticDir,
        // Connected means every setup (exchange declarations) ran on the current
        // connection; the dead-letter queue was declared once at start-up.
        // …and every session's reply consumer is being delivered to: a gateway
        // that cannot deliver answers to its sessions is not ready.
        ready: () => {
          const broker = transport.status();
          const replyConsumersDown = relaysDown();
          return {
            ready: !draining && broker === 'connected' && topologyDeclared && replyConsumersDown === 0,
            broker,
            topology: topologyDeclared,
            replyConsumersDown,
          };
        },
        ...(options.metricsPort === undefined ? { metrics: renderMetrics } : {}),
        ...(options.metricsToken === undefined ? {} : { metricsToken: options.metricsToken }),
        registry: registryRoute(registry, registryAccess),
      }),
    ),
  );
  const metricsHttp =
    options.metricsPort === undefined
      ? undefined
      : createServer(createMetricsHandler({ metrics: renderMetrics, ...(options.metricsToken === undefined ? {} : { metricsToken: options.metricsToken }) }));
  const admission = { chain, metrics, log, trustProxy: options.trustProxy };
  io = new Server(http, {
    maxHttpBufferSize: options.maxFrameBytes,
    // Socket.IO's 25 s + 20 s would leave a frozen gateway unnoticed for 45 s;
    // clients learn these values in the handshake and time out on them.
    pingInterval: options.pingIntervalMs,
    pingTimeout: options.pingTimeoutMs,
    serveClient: false,
    allowRequest: allowRequest(admission),
    ...(options.corsOrigins.length > 0 ? { cors: { origin: options.corsOrigins } } : {}),
  });
  // A refused handshake's answer (403, `CODE: message`) is readable by the
  // refused page, so its client can stop retrying and say why; successful
  // handshakes stay under the CORS_ORIGINS policy.
  io.engine.on('connection_error', (e: { req: IncomingMessage & { res?: ServerResponse }; code: number }) => {
    const origin = e.req.headers.origin;
    if (e.code !== 4 || origin === undefined || !e.req.res || e.req.res.headersSent) return;
    e.req.res.setHeader('access-control-allow-origin', origin);
    e.req.res.setHeader('vary', 'origin');
  });
  const positions = createQueuePositions({
    transport,
    intervalMs: options.queuePositionIntervalMs,
    metrics,
    log,
    catalogueTypes: () => registry.catalogue().types.map((t) => t.type),
  });
  const fast = createGatewayFastLane(transport, registry.fastCapable, log);
  const clientLogs = createClientLogWriter({ perSecond: options.clientLogPerSecond, burst: options.clientLogBurst });
  const deadLetters = await relayDeadLetters(transport, log);
  await registry.start(transport, log);
  topologyDeclared = true;
  admitConnections(io, admission);
  // Built once: every socket shares these listeners and functions (issue 16: an idle connection holds only its own state).
  const connect = createConnections({
    transport,
    sessions,
    clientLogs,
    options,
    log,
    inFlight,
    chain,
    metrics,
    trackRelay: (relay) => {
      relays.add(relay);
      return () => relays.delete(relay);
    },
    trackLocal: (run) => {
      locals.add(run);
      void run.done.finally(() => locals.delete(run));
    },
    isDraining: () => draining,
    positions,
    fast,
    aliasCall: ops.calls.alias,
    answerRegistry: answerRegistryEvents(registry, log, registryAccess ? { access: registryAccess } : {}),
  });
  io.on('connection', (socket) => {
    try {
      connect(socket);
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
  let metricsUrl: string | undefined;
  if (metricsHttp) {
    await new Promise<void>((resolve, reject) => {
      metricsHttp.once('error', reject);
      metricsHttp.listen(options.metricsPort, options.host, () => {
        metricsHttp.off('error', reject);
        resolve();
      });
    });
  }
  const port = (http.address() as AddressInfo).port;
  const host = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  const url = `http://${host}:${port}`;
  if (metricsHttp) metricsUrl = `http://${host}:${(metricsHttp.address() as AddressInfo).port}/metrics`;
  // `event: 'ready'` is what supervisors and tests wait for; the message is for people.
  log.info(
    {
      event: 'ready',
      url,
      metricsUrl,
      namespace: options.namespace,
      transport: transport.kind,
      staticDir: options.staticDir,
      plugins: plugins.map((p) => p.name),
    },
    'gateway listening',
  );

  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    transport,
    io: io!,
    http,
    metrics,
    metricsUrl,
    registry,
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
        positions.close();
        metricsHttp?.close();
        metricsHttp?.closeAllConnections();
        // Local handlers cannot be handed to another gateway: they end now,
        // telling their callers to retry (their final goes to the reply queue).
        for (const run of locals) run.abort(createWarrenError('SHUTTING_DOWN', 'The gateway is shutting down; retry.'));
        await Promise.all([...locals].map((run) => run.done));
        await deadLetters.close();
        await fast.close();
        await ops.close();
        await registry.close();
        if (!injected) await transport.close();
        log.info('gateway closed');
      })()),
  };
};
