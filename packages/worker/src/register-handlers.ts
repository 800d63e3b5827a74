// registerHandlers: serve request types from the broker. One quorum queue per
// type, prefetch = concurrency, ack after the final message is confirmed,
// cancels abort the matching handler, close()/SIGTERM drains in-flight work.
import { pino, type Logger } from 'pino';
import { createWarrenError, REQUEST_TYPE_PATTERN } from '@warren/protocol';
import { createAmqpTransport, type Subscription, type Transport } from '@warren/transport';
import { createCancelMemory } from './cancellations.ts';
import { parseWorkerOptions, type WorkerOptionsInput } from './options.ts';
import { requestKey, runRequest, type Handler, type Running } from './run-request.ts';

export type Handlers = Record<string, Handler>;

export interface RegisterOptions extends WorkerOptionsInput {
  /** Broker seam; defaults to RabbitMQ at `url`. Pass a memory transport in tests. */
  transport?: Transport;
  /** pino logger; defaults to one named after the service. */
  log?: Logger;
}

export interface WorkerHandle {
  readonly service: string;
  readonly types: readonly string[];
  /** Requests being handled right now. */
  inFlight(): number;
  /** Stops taking work, lets in-flight handlers finish (bounded), hands back the rest, closes. */
  close(): Promise<void>;
}

export const registerHandlers = async (options: RegisterOptions, handlers: Handlers): Promise<WorkerHandle> => {
  const { transport: injected, log: injectedLog, ...rest } = options;
  const opts = parseWorkerOptions(rest);
  const types = Object.keys(handlers);
  if (types.length === 0) throw new Error('registerHandlers needs at least one handler');
  for (const type of types) {
    if (!REQUEST_TYPE_PATTERN.test(type)) throw new Error(`handler name "${type}" must match ${REQUEST_TYPE_PATTERN}`);
    if (typeof handlers[type] !== 'function') throw new Error(`handler "${type}" must be a function`);
  }
  const log = injectedLog ?? pino({ name: opts.service });
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
  const deps = { transport, log, cancels, chunkWindow: opts.chunkWindow };
  let closing: Promise<void> | null = null;

  const cancelSub = await transport.consumeCancels(types, ({ id, session }) => {
    cancels.add(session, id);
    const run = running.get(requestKey(session, id));
    if (run) {
      log.info({ requestId: id }, 'cancel received; aborting handler');
      run.abort(createWarrenError('CANCELLED', 'The request was cancelled.'));
    }
  });

  const subscriptions: Subscription[] = [];
  for (const type of types) {
    const handler = handlers[type]!;
    subscriptions.push(
      await transport.consumeRequests(
        type,
        (delivery) => {
          if (closing) return delivery.requeue();
          const key = requestKey(delivery.request.session, delivery.request.id);
          const run = runRequest(deps, handler, delivery);
          running.set(key, run);
          void run.done.finally(() => {
            if (running.get(key) === run) running.delete(key);
          });
        },
        { prefetch: opts.concurrency },
      ),
    );
  }
  log.info({ types, concurrency: opts.concurrency, namespace: opts.namespace, transport: transport.kind }, 'worker serving');

  const close = () =>
    (closing ??= (async () => {
      log.info({ inFlight: running.size }, 'worker draining');
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

  return { service: opts.service, types, inFlight: () => running.size, close };
};
