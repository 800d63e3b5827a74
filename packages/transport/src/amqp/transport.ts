// The RabbitMQ implementation of the transport seam (see packages/protocol/spec/v1/protocol.md):
// its options, the connection and its setup, and the transport assembled
// from the files that hold each kind of message (requests, responses,
// cancels, retained calls, the fast lane). Announcements are here: two
// methods on the registry exchange.
import { createWarrenError, parseAnnouncement, splitBrokerUrls, topology, type ReplyQueueType, type Topology } from '@warren/protocol';
import { silentLog, type Log, type Transport } from '../types.ts';
import { createCallQueues } from './calls.ts';
import { createCancels } from './cancels.ts';
import { createConnectionManager, redactUrl, type BackoffOptions } from './connection.ts';
import { declareTopology } from './declare-topology.ts';
import { createFastChannel, openFastLane } from './fast-lane.ts';
import { createPublisher } from './publisher.ts';
import { createRequests } from './requests.ts';
import { createResponses } from './responses.ts';
import { createSubscriptions } from './subscriptions.ts';

export interface AmqpTransportOptions {
  /**
   * e.g. amqp://guest:guest@127.0.0.1:5672; the nodes of a cluster as an
   * array or comma-separated: connections start at a random node and move
   * on to the next when one is down.
   */
  url: string | readonly string[];
  /** Prefix of every broker name. @default 'warren' */
  namespace?: string;
  log?: Log;
  /** @default 10 */
  heartbeatSeconds?: number;
  backoff?: Partial<BackoffOptions>;
  /** How long to wait for the first connection before giving up. @default 5000 */
  connectTimeoutMs?: number;
  /** Shown in the RabbitMQ management UI. @default 'warren' */
  connectionName?: string;
  /**
   * A request or cancel published while the connection is being re-made
   * waits this long for it before failing with BROKER_UNAVAILABLE: a node
   * failover or a missed heartbeat should not fail calls. @default 5000
   */
  publishWaitMs?: number;
  /**
   * Session reply queues: quorum (replicated; survives a node) or classic
   * (one node, cheaper). Every gateway of an app must use the same. @default 'quorum'
   */
  replyQueueType?: ReplyQueueType;
  /** How long a worker waits to read its marker back from the cancel stream. @default CANCEL_STREAM.markerWaitMs */
  cancelMarkerWaitMs?: number;
}

export type AmqpTransport = Transport & { readonly topology: Topology; reconnects(): number };

export const createAmqpTransport = async (options: AmqpTransportOptions): Promise<AmqpTransport> => {
  const topo = topology(options.namespace);
  const log = options.log ?? silentLog;
  const urls = splitBrokerUrls(options.url);
  if (urls.length === 0) throw createWarrenError('BROKER_UNAVAILABLE', 'No broker URL was given.');
  const publishWaitMs = options.publishWaitMs ?? 5000;
  const connectionName = options.connectionName ?? 'warren';
  const manager = createConnectionManager({
    urls,
    log,
    heartbeatSeconds: options.heartbeatSeconds ?? 10,
    backoff: { initialDelayMs: 100, maxDelayMs: 2500, ...options.backoff },
    connectionName,
  });
  const publisher = createPublisher(log);
  // Fast-lane requests and responses: a plain channel, no confirms (decision 0016).
  const fastChannel = createFastChannel(log);
  const subscriptions = createSubscriptions(manager, topo, log);

  manager.addSetup(async (model) => {
    await publisher.attach(model);
    await fastChannel.attach(model);
    await declareTopology(model, topo, log);
  });
  manager.onStatus((status) => {
    if (status !== 'connected') {
      publisher.detach();
      fastChannel.detach();
    }
  });

  try {
    await manager.ready(options.connectTimeoutMs ?? 5000);
  } catch (error) {
    await manager.close();
    throw createWarrenError('BROKER_UNAVAILABLE', (error as Error).message, { cause: error });
  }

  const unreachable = () =>
    createWarrenError('BROKER_UNAVAILABLE', `The message broker (${urls.map(redactUrl).join(', ')}) is unreachable; try again shortly.`);
  /** Waits (bounded) for a connection being re-made instead of failing at once. */
  const awaitConnected = async () => {
    const status = manager.status();
    if (status === 'connected') return;
    if (status === 'closed') throw unreachable();
    await manager.ready(publishWaitMs).catch(() => {
      throw unreachable();
    });
  };
  const { track } = subscriptions;
  const calls = createCallQueues({ manager, topo, log, replyQueueType: options.replyQueueType, awaitConnected, track });

  return {
    kind: 'amqp',
    topology: topo,
    status: () => manager.status(),
    onStatus: (listener) => manager.onStatus(listener),
    reconnects: () => manager.reconnects(),

    ...createRequests({ topo, log, publisher, subscriptions, awaitConnected }),
    ...createResponses({ topo, log, publisher, fastChannel, subscriptions, replyQueueType: options.replyQueueType }),
    ...createCancels({
      manager,
      topo,
      log,
      publisher,
      subscriptions,
      awaitConnected,
      unreachable,
      connectionName,
      markerWaitMs: options.cancelMarkerWaitMs,
    }),

    claimCall: calls.claimCall,
    callExists: calls.callExists,
    dropCall: calls.dropCall,
    consumeCall: calls.consumeCall,
    queueDepth: calls.queueDepth,

    openFastLane: (listener) => openFastLane({ manager, topo, log, channel: fastChannel, awaitConnected, track }, listener),

    async announce(message) {
      if (manager.status() !== 'connected') throw unreachable();
      await publisher.publish(topo.registryExchange, '', Buffer.from(JSON.stringify(message)), {
        contentType: 'application/json',
        type: message.kind,
        // A heartbeat is stale once the next one is due; never let one linger in a slow consumer's queue.
        ...(message.kind === 'announce' ? { expiration: String(message.ttlMs) } : {}),
      });
    },

    async consumeAnnouncements(listener) {
      return subscriptions.broadcastConsumer(topo.registryExchange, topo.registryExchange, [''], parseAnnouncement, 'registry message', listener);
    },

    async close() {
      await subscriptions.closeAll();
      await manager.close();
    },
  };
};
