// registerHandlers: serve request types from the broker. One quorum queue per
// type, prefetch = concurrency, ack after the final message is confirmed,
// cancels abort the matching handler, close()/SIGTERM drains in-flight work.
import { pino, type Logger } from 'pino';
import { createWarrenError, REQUEST_TYPE_PATTERN, requestKey, type Contracts } from '@warren/protocol';
import { createAmqpTransport, type Subscription, type Transport } from '@warren/transport';
import { defaultInstanceId, startAnnouncer, typeAnnouncement, type Announcer } from './announcer.ts';
import { checkContractHandlers, contractOf, withContract, type ContractHandlers } from './contracts.ts';
import { parseMetricsOptions, startWorkerMetrics, type MetricsOptionsInput, type WorkerMetrics } from './metrics.ts';
import { parseWorkerOptions, withEnvironment, type WorkerOptionsInput } from './options.ts';
import { createCancelMemory, runRequest, type Handler, type Running } from './run-request.ts';

export type Handlers = Record<string, Handler>;

export interface RegisterOptions<C extends Contracts = Contracts> extends WorkerOptionsInput, MetricsOptionsInput {
  /** Broker seam; defaults to RabbitMQ at `url`. Pass a memory transport in tests. */
  transport?: Transport;
  /** pino logger; defaults to one named after the service. */
  log?: Logger;
  /**
   * zod contracts (defineContracts): types every handler, checks payloads,
   * chunks and results at run time, and announces their JSON Schemas.
   */
  contracts?: C;
}

/**
 * With `contracts`, every handler is typed by its contract (and must exist);
 * without, any `(payload, ctx)` handlers. The untyped form is the last
 * overload, so `Parameters<typeof registerHandlers>` stays the plain one.
 */
export interface RegisterHandlers {
  <C extends Contracts>(options: RegisterOptions<C> & { contracts: C }, handlers: ContractHandlers<C>): Promise<WorkerHandle>;
  (options: RegisterOptions<never>, handlers: Handlers): Promise<WorkerHandle>;
}

export interface WorkerHandle {
  readonly service: string;
  readonly types: readonly string[];
  /** Requests being handled right now. */
  inFlight(): number;
  /** Stops taking work, lets in-flight handlers finish (bounded), hands back the rest, closes. */
  close(): Promise<void>;
  /** Prometheus registry, and the /metrics URL when `metricsPort` is set. */
  readonly metrics: WorkerMetrics;
}

export const registerHandlers: RegisterHandlers = async (
  options: RegisterOptions,
  typedHandlers: Handlers | ContractHandlers<Contracts>,
): Promise<WorkerHandle> => {
  const { transport: injected, log: injectedLog, contracts, metricsPort, metricsHost, ...rest } = options;
  const opts = parseWorkerOptions(withEnvironment(rest));
  const metricsOptions = parseMetricsOptions({ metricsPort, metricsHost });
  const handlers = typedHandlers as Handlers;
  const types = Object.keys(handlers);
  if (types.length === 0) throw new Error('registerHandlers needs at least one handler');
  for (const type of types) {
    if (!REQUEST_TYPE_PATTERN.test(type)) throw new Error(`handler name "${type}" must match ${REQUEST_TYPE_PATTERN}`);
    if (typeof handlers[type] !== 'function') throw new Error(`handler "${type}" must be a function`);
  }
  if (contracts !== undefined) checkContractHandlers(contracts, handlers);
  const fastTypes = new Set(opts.fast === true ? types : opts.fast === false ? [] : opts.fast);
  for (const type of fastTypes) if (!types.includes(type)) throw new Error(`fast names "${type}", which has no handler`);
  // Contract-checked where a contract is known (options or withContracts); announced with its schemas.
  const served: Handlers = Object.fromEntries(
    types.map((type) => {
      const contract = contracts?.[type];
      return [type, contract === undefined ? handlers[type]! : withContract(type, contract, handlers[type]!)];
    }),
  );
  // LOG_LEVEL as the gateway and the Python SDK read it.
  const log = injectedLog ?? pino({ name: opts.service, level: process.env.LOG_LEVEL || 'info' });
  const transport =
    injected ??
    (await createAmqpTransport({
      url: opts.url,
      namespace: opts.namespace,
      log: log.child({ component: 'transport' }),
      connectTimeoutMs: opts.connectTimeoutMs,
      connectionName: `warren-worker:${opts.service}`,
    }));
  const cancels = createCancelMemory();
  const running = new Map<string, Running>();
  const metrics = await startWorkerMetrics(metricsOptions, transport);
  const instanceId = opts.instanceId ?? defaultInstanceId(opts.service);
  // Seq 0 of each attempt names the worker that picked it up (docs/protocol.md, "Hops").
  const deps = { transport, log, cancels, chunkWindow: opts.chunkWindow, who: { instance: instanceId, language: 'typescript', service: opts.service } };
  let closing: Promise<void> | null = null;

  // Cancels before requests: this resolves once the cancel stream was read up
  // to now, so a request cancelled while no worker ran is never started.
  const cancelSub = await transport.consumeCancels(
    types,
    ({ id, session }, at) => {
      cancels.add(session, id, at);
      const run = running.get(requestKey(session, id));
      if (run) {
        log.info({ requestId: id }, 'cancel received; aborting handler');
        run.abort(createWarrenError('CANCELLED', 'The request was cancelled.'));
      }
    },
    { instance: instanceId },
  );

  const subscriptions: Subscription[] = [];
  // A transport without a fast lane (memory) serves fast types the durable way only, and says so in the announcement.
  const consumeFast = transport.consumeFastRequests?.bind(transport);
  const announcedFast = (type: string) => consumeFast !== undefined && fastTypes.has(type);
  for (const type of types) {
    const handler = served[type]!;
    const lanes = announcedFast(type) ? [transport.consumeRequests.bind(transport), consumeFast!] : [transport.consumeRequests.bind(transport)];
    for (const consume of lanes) {
      subscriptions.push(
        await consume(
          type,
          (delivery) => {
            if (closing) return delivery.requeue();
            const key = requestKey(delivery.request.session, delivery.request.id);
            const observer = metrics.started(delivery);
            const run = runRequest(deps, handler, delivery, observer);
            running.set(key, run);
            void run.done.then((end) => {
              observer.end(end);
              if (running.get(key) === run) running.delete(key);
            });
          },
          { prefetch: opts.concurrency },
        ),
      );
    }
  }
  // Announced only once every queue is consumed: the registry lists what is really served.
  const announcer: Announcer | null = opts.announce
    ? startAnnouncer(transport, log.child({ component: 'registry' }), {
        service: opts.service,
        instanceId,
        concurrency: opts.concurrency,
        heartbeatMs: opts.registryHeartbeatMs,
        ttlMs: opts.registryTtlMs,
        types: types.map((type) => ({ ...typeAnnouncement(type, contractOf(served[type])), ...(announcedFast(type) ? { fast: true } : {}) })),
      })
    : null;
  // `event: 'ready'` is what supervisors and tests wait for; the message is for people.
  log.info(
    {
      event: 'ready',
      service: opts.service,
      types,
      ...(fastTypes.size > 0 ? { fast: types.filter(announcedFast) } : {}),
      concurrency: opts.concurrency,
      namespace: opts.namespace,
      transport: transport.kind,
      instanceId: announcer?.instanceId,
    },
    'worker serving',
  );

  const close = () =>
    (closing ??= (async () => {
      log.info({ inFlight: running.size }, 'worker draining');
      await announcer?.withdraw();
      await Promise.all(subscriptions.map((s) => s.pause()));
      const drained = Promise.all([...running.values()].map((r) => r.done));
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), opts.drainTimeoutMs)));
      if ((await Promise.race([drained, timedOut])) === 'timeout') {
        log.warn({ inFlight: running.size }, 'drain timeout; handing remaining requests back to the queue');
        for (const run of running.values()) run.abort(createWarrenError('SHUTTING_DOWN', 'The worker is shutting down.'));
        await drained;
      }
      clearTimeout(timer);
      await Promise.all([...subscriptions, cancelSub].map((s) => s.close()));
      if (!injected) await transport.close();
      await metrics.close();
      log.info('worker closed');
    })());

  if (opts.handleSignals) {
    const onSignal = (signal: NodeJS.Signals) => {
      log.info({ signal }, 'signal received');
      void close().then(() => process.exit(0));
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }

  return { service: opts.service, types, inFlight: () => running.size, close, metrics: { prometheus: metrics.prometheus, url: metrics.url } };
};
