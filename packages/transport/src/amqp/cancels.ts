// Cancels on RabbitMQ (docs/decisions/0014 §4): a gateway publishes each to
// the control exchange, which live workers hear, and appends it to the
// cancel stream, which a worker reads from the start when it (re)starts.
// The stream's records and its reader are in cancel-stream.ts; here are the
// two transport methods that combine both routes.
import { CANCEL_STREAM, parseCancelMessage, type Topology } from '@warren/protocol';
import type { Options } from 'amqplib';
import type { Log, Transport } from '../types.ts';
import { appendToCancelStream, cancelRecord, cancelStreamReader, declareCancelStream } from './cancel-stream.ts';
import type { ConnectionManager } from './connection.ts';
import { durableConsumer } from './consumer.ts';
import type { Publisher } from './publisher.ts';
import type { Subscriptions } from './subscriptions.ts';

interface CancelDeps {
  manager: ConnectionManager;
  topo: Topology;
  log: Log;
  publisher: Publisher;
  subscriptions: Subscriptions;
  /** Resolves when connected (waiting a bounded time during a reconnect), else throws BROKER_UNAVAILABLE. */
  awaitConnected(): Promise<void>;
  unreachable(): Error;
  /** The default `instance` a worker's marker names. */
  connectionName: string;
  markerWaitMs: number | undefined;
}

export const createCancels = (deps: CancelDeps): Pick<Transport, 'publishCancel' | 'consumeCancels'> => {
  const { manager, topo, log, publisher, subscriptions } = deps;
  const redeclareCancelStream = async () => {
    const model = manager.current();
    if (!model) throw deps.unreachable();
    const ch = await model.createChannel();
    ch.on('error', () => {});
    await declareCancelStream(ch, topo);
    await ch.close().catch(() => {});
  };
  const appendCancelRecord = (body: Buffer, properties: Options.Publish) =>
    appendToCancelStream((...args) => publisher.publish(...args), redeclareCancelStream, topo, body, properties);

  return {
    async publishCancel(type, cancel) {
      await deps.awaitConnected();
      // Live workers hear it on ns.control; the stream keeps it for workers
      // that start later (docs/decisions/0014 §4). Confirmed both, or failed.
      await Promise.all([
        publisher.publish(topo.controlExchange, type, Buffer.from(JSON.stringify({ id: cancel.id, session: cancel.session })), {
          contentType: 'application/json',
        }),
        appendCancelRecord(cancelRecord(type, cancel, Date.now()), { type }),
      ]);
    },

    async consumeCancels(types, listener, { instance = deps.connectionName } = {}) {
      const name = `${topo.controlExchange}:${types.join(',')}`;
      const live = await subscriptions.broadcastConsumer(name, topo.controlExchange, types, parseCancelMessage, 'cancel', (cancel) => listener(cancel));
      const served = new Set(types);
      // Read from the first offset on every (re)start: cheap (bounded by the
      // stream's retention) and the only way to learn what was sent meanwhile.
      // The manager runs setups in order, so after a reconnect the request
      // consumers (registered later) wait for this one's marker too.
      const stream = subscriptions.track(
        await durableConsumer(manager, log, `${topo.cancelStream}:${types.join(',')}`, async (ch, restart) => {
          await declareCancelStream(ch, topo);
          await ch.prefetch(CANCEL_STREAM.prefetch);
          const reader = cancelStreamReader(
            { acks: subscriptions.ackBatcher(ch), log, append: appendCancelRecord, markerWaitMs: deps.markerWaitMs },
            served,
            instance,
            listener,
          );
          const { consumerTag } = await ch.consume(
            topo.cancelStream,
            (message) => {
              if (!message) return restart();
              reader.onMessage(message);
            },
            { arguments: { 'x-stream-offset': 'first' } },
          );
          await reader.caughtUp();
          return consumerTag;
        }),
      );
      return {
        active: () => (live.active?.() ?? true) && (stream.active?.() ?? true),
        pause: async () => {
          await Promise.all([live.pause(), stream.pause()]);
        },
        close: async () => {
          await Promise.all([live.close(), stream.close()]);
        },
      };
    },
  };
};
