// Retained calls on RabbitMQ (docs/decisions/0014-retained-calls.md): a
// queue per keyed call that nobody acks, claimed under an exclusive lock
// queue, and passive declares for existence and depth. Every check that may
// 404 runs on a channel of its own: a 404 closes its channel, and it must
// not be one that carries requests, replies or consumers.
import { CALL_RETENTION, createWarrenError, type ReplyQueueType, type Topology } from '@warren/protocol';
import type { Channel, ChannelModel } from 'amqplib';
import type { CallListener, CallOptions, Log, QueueDepth, Subscription } from '../types.ts';
import { decodeResponses } from './codec.ts';
import type { ConnectionManager } from './connection.ts';
import { durableConsumer } from './consumer.ts';

interface CallDeps {
  manager: ConnectionManager;
  topo: Topology;
  log: Log;
  replyQueueType: ReplyQueueType | undefined;
  /** Resolves when connected (waiting a bounded time during a reconnect), else throws BROKER_UNAVAILABLE. */
  awaitConnected(): Promise<void>;
  track(subscription: Subscription): Subscription;
}

/** How long a claimer waits for a lock another gateway holds before it attaches instead. */
const LOCK_WAIT_MS = 2_000;

const amqpCode = (error: unknown): number | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
};
const NOT_FOUND = 404;
const RESOURCE_LOCKED = 405;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const createCallQueues = (deps: CallDeps) => {
  const { manager, topo, log } = deps;
  const model = async (): Promise<ChannelModel> => {
    await deps.awaitConnected();
    const m = manager.current();
    if (!m) throw createWarrenError('BROKER_UNAVAILABLE', 'The message broker is unavailable: not connected.');
    return m;
  };
  const openChannel = async (m: ChannelModel): Promise<Channel> => {
    const ch = await m.createChannel();
    // The broker closing it (404, 405) is an expected answer here, not a fault.
    ch.on('error', () => {});
    return ch;
  };
  // Passive declares share one channel while it lives: opening and closing
  // one per check cost two more round trips and amqplib's stack capture on
  // every close (the queue-position poller checks each waited-on type; issue
  // 16). A 404 closes it and fails whatever waits behind on it, so checks run
  // one at a time (amqplib sends a channel's calls one at a time anyway), and
  // the one after a 404 opens another.
  let checker: { model: ChannelModel; channel: Promise<Channel>; closed: boolean } | undefined;
  const checkChannel = (m: ChannelModel) => {
    if (checker?.model === m && !checker.closed) return checker.channel;
    const entry = { model: m, channel: openChannel(m), closed: false };
    checker = entry;
    const gone = () => {
      entry.closed = true;
    };
    entry.channel.then((ch) => ch.once('close', gone), gone);
    return entry.channel;
  };
  const checkNow = async (queue: string): Promise<QueueDepth | undefined> => {
    const ch = await checkChannel(await model());
    try {
      const ok = await ch.checkQueue(queue);
      return { ready: ok.messageCount, consumers: ok.consumerCount };
    } catch (error) {
      if (amqpCode(error) === NOT_FOUND) return undefined;
      throw error;
    }
  };
  /** Settles (never rejects) when the last check queued is done. */
  let checking: Promise<unknown> = Promise.resolve();
  /** A passive declare: the queue's counts, or undefined when it does not exist. */
  const check = (queue: string): Promise<QueueDepth | undefined> => {
    const next = checking.then(() => checkNow(queue));
    checking = next.catch(() => {});
    return next;
  };

  // One claim per call at a time in this process: an exclusive queue keeps
  // out other connections only, and this connection is shared by every
  // socket of the gateway.
  const local = new Map<string, Promise<unknown>>();
  const serially = <T>(call: string, work: () => Promise<T>): Promise<T> => {
    const previous = local.get(call) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => {});
    local.set(call, settled);
    void settled.then(() => {
      if (local.get(call) === settled) local.delete(call);
    });
    return next;
  };

  /** The lock held on a fresh channel, or null when another connection still holds it after LOCK_WAIT_MS. */
  const takeLock = async (m: ChannelModel, lock: string): Promise<Channel | null> => {
    const until = Date.now() + LOCK_WAIT_MS;
    for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
      const ch = await openChannel(m);
      try {
        await ch.assertQueue(lock, { exclusive: true, durable: false, autoDelete: false });
        return ch;
      } catch (error) {
        await ch.close().catch(() => {});
        if (amqpCode(error) !== RESOURCE_LOCKED) throw error;
        if (Date.now() >= until) return null;
        await sleep(delay);
      }
    }
  };

  const claimCall = (call: string, { retentionMs }: CallOptions) =>
    serially(call, async (): Promise<'new' | 'existing'> => {
      const m = await model();
      const lock = topo.callLock(call);
      const held = await takeLock(m, lock);
      // Another gateway held the lock for 2 s: it is claiming this call; attach to it.
      if (!held) return 'existing';
      try {
        if (await check(topo.callQueue(call))) return 'existing';
        await held.assertQueue(topo.callQueue(call), { durable: true, arguments: topo.callQueueArguments(deps.replyQueueType, retentionMs) });
        return 'new';
      } finally {
        // The lock dies with its connection anyway; deleting it lets the next claimer in now.
        await held
          .deleteQueue(lock)
          .catch(async () => {
            const ch = await openChannel(m);
            await ch.deleteQueue(lock).finally(() => ch.close().catch(() => {}));
          })
          .catch((error: Error) => log.warn({ lock, err: error.message }, 'could not release a call lock (it goes with the connection)'));
        await held.close().catch(() => {});
      }
    });

  const consumeCall = async (call: string, listener: CallListener): Promise<Subscription> => {
    const queue = topo.callQueue(call);
    let gone = false;
    let subscription: Subscription | undefined;
    const end = () => {
      if (gone) return;
      gone = true;
      listener.gone();
      void subscription?.close();
    };
    const consumer = await durableConsumer(manager, log, queue, async (ch, restart) => {
      if (gone) throw new Error('the call is gone');
      // Passive: a reader must never re-create a call that expired.
      try {
        await ch.checkQueue(queue);
      } catch (error) {
        if (amqpCode(error) === NOT_FOUND) queueMicrotask(end);
        throw error;
      }
      // Nothing is acked, so everything retained is delivered at once; the
      // queue itself holds at most maxResponses messages.
      await ch.prefetch(CALL_RETENTION.maxResponses);
      const { consumerTag } = await ch.consume(queue, (message) => {
        // The broker cancelled the consumer: the queue was deleted. The restart's passive check says so.
        if (!message) return restart();
        const { responses, errors } = decodeResponses(message);
        for (const error of errors) log.warn({ queue, error }, 'dropping a malformed response');
        for (const response of responses) listener.response(response);
      });
      return consumerTag;
    });
    subscription = deps.track(consumer);
    if (gone) await subscription.close();
    return subscription;
  };

  return {
    claimCall,
    consumeCall,
    callExists: async (call: string) => (await check(topo.callQueue(call))) !== undefined,
    async dropCall(call: string) {
      const ch = await openChannel(await model());
      try {
        await ch.deleteQueue(topo.callQueue(call));
      } finally {
        await ch.close().catch(() => {});
      }
    },
    queueDepth: (type: string) => check(topo.requestQueue(type)),
  };
};
