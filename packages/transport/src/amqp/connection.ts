// Keeps one AMQP connection alive: connects with exponential backoff and
// jitter, notices loss (heartbeats, server closes, socket errors), and re-runs
// every registered setup on each new connection so topology and consumers
// come back by themselves.
import { connect, type ChannelModel } from 'amqplib';
import type { BrokerStatus, Log } from '../types.ts';
import { coalesceWrites } from './coalesce-writes.ts';
import { readFramesOnce } from './frame-reader.ts';

export interface BackoffOptions {
  /** @default 100 */
  initialDelayMs: number;
  /** @default 2500 */
  maxDelayMs: number;
}

interface ConnectionOptions {
  /** The nodes of one broker (a cluster): tried in turn, from a random one. */
  urls: readonly string[];
  log: Log;
  /** AMQP heartbeat; a dead peer is noticed after about twice this. @default 10 */
  heartbeatSeconds: number;
  backoff: BackoffOptions;
  /** Shown in the RabbitMQ management UI. */
  connectionName: string;
}

type Setup = (model: ChannelModel) => Promise<void>;

export interface ConnectionManager {
  status(): BrokerStatus;
  onStatus(listener: (status: BrokerStatus) => void): () => void;
  /** The live connection, or null while (re)connecting. */
  current(): ChannelModel | null;
  /** Runs after every (re)connect, before status turns 'connected'; returns a remover. Not run now. */
  addSetup(setup: Setup): () => void;
  /** Resolves on the first successful connection; rejects after `timeoutMs`. */
  ready(timeoutMs: number): Promise<void>;
  /** Number of reconnects after the first connection. */
  reconnects(): number;
  close(): Promise<void>;
}

export const backoffDelay = (attempt: number, { initialDelayMs, maxDelayMs }: BackoffOptions, random = Math.random) => {
  const base = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(attempt, 20));
  return Math.round(base * (0.5 + random() / 2));
};

/** amqplib reads the heartbeat from the URL; an explicit one there wins. */
const withHeartbeat = (url: string, seconds: number) => {
  const parsed = new URL(url);
  if (!parsed.searchParams.has('heartbeat')) parsed.searchParams.set('heartbeat', String(seconds));
  return parsed.toString();
};

export const redactUrl = (url: string) => url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');

/**
 * Which node to try next and how long to wait first. Starts at a random
 * node so that many processes spread over a cluster; each failure moves on
 * to the next node at once, and backs off only after a whole round failed.
 */
export const createNodeRotation = (count: number, backoff: BackoffOptions, random = Math.random) => {
  let index = Math.floor(random() * count);
  let failures = 0;
  return {
    current: () => index,
    /** The current node failed or was lost: the next one, and the delay before trying it. */
    fail(): number {
      index = (index + 1) % count;
      failures += 1;
      return failures % count === 0 ? backoffDelay(failures / count - 1, backoff, random) : 0;
    },
    succeeded() {
      failures = 0;
    },
  };
};

export const createConnectionManager = (options: ConnectionOptions): ConnectionManager => {
  const { log } = options;
  let status: BrokerStatus = 'connecting';
  let model: ChannelModel | null = null;
  let closing = false;
  const nodes = createNodeRotation(options.urls.length, options.backoff);
  const urlNow = () => options.urls[nodes.current()]!;
  let everConnected = false;
  let reconnectCount = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const setups = new Set<Setup>();
  const statusListeners = new Set<(status: BrokerStatus) => void>();
  const readyWaiters = new Set<() => void>();

  const setStatus = (next: BrokerStatus) => {
    if (next === status) return;
    status = next;
    for (const listener of statusListeners) {
      try {
        listener(next);
      } catch (error) {
        log.error({ err: error }, 'status listener threw');
      }
    }
  };

  const runSetup = async (m: ChannelModel, setup: Setup) => {
    try {
      await setup(m);
    } catch (error) {
      // A failed setup (e.g. a queue declared with other arguments) must not
      // take the process down; it is logged and retried on the next connect.
      log.error({ err: error }, 'broker setup failed');
    }
  };

  const schedule = () => {
    if (closing) return;
    const delay = nodes.fail();
    setStatus(everConnected ? 'reconnecting' : 'connecting');
    timer = setTimeout(() => void attemptConnect(), delay);
  };

  const attemptConnect = async () => {
    if (closing) return;
    let m: ChannelModel;
    const url = urlNow();
    try {
      m = await connect(withHeartbeat(url, options.heartbeatSeconds), {
        noDelay: true,
        timeout: 5000,
        clientProperties: { connection_name: options.connectionName },
      });
    } catch (error) {
      log.warn({ err: (error as Error).message, url: redactUrl(url) }, 'broker connect failed; trying the next node');
      schedule();
      return;
    }
    if (closing) {
      await m.close().catch(() => {});
      return;
    }
    coalesceWrites(m);
    // A changed amqplib keeps its own (copying) frame reader; nothing else differs.
    if (!readFramesOnce(m)) log.info({}, 'amqplib internals differ from 2.x; received messages are copied as amqplib does');
    let lost = false;
    const onLost = (reason: unknown) => {
      if (lost) return;
      lost = true;
      model = null;
      if (closing) return;
      log.warn({ reason: reason instanceof Error ? reason.message : String(reason ?? 'closed') }, 'broker connection lost');
      schedule();
    };
    m.on('error', (error: Error) => log.warn({ err: error.message }, 'broker connection error'));
    m.on('close', onLost);
    m.on('blocked', (reason: string) => log.warn({ reason }, 'broker blocked this connection (resource alarm)'));
    model = m;
    nodes.succeeded();
    if (everConnected) reconnectCount += 1;
    everConnected = true;
    log.info({ url: redactUrl(url), reconnects: reconnectCount }, 'broker connected');
    for (const setup of [...setups]) {
      if (model !== m) return;
      await runSetup(m, setup);
    }
    if (model !== m) return;
    setStatus('connected');
    for (const resolve of readyWaiters) resolve();
    readyWaiters.clear();
  };

  void attemptConnect();

  return {
    status: () => status,
    onStatus(listener) {
      statusListeners.add(listener);
      return () => statusListeners.delete(listener);
    },
    current: () => model,
    reconnects: () => reconnectCount,
    addSetup(setup) {
      setups.add(setup);
      return () => setups.delete(setup);
    },
    ready(timeoutMs) {
      if (status === 'connected') return Promise.resolve();
      return new Promise((resolve, reject) => {
        const done = () => {
          clearTimeout(t);
          resolve();
        };
        const t = setTimeout(() => {
          readyWaiters.delete(done);
          reject(new Error(`could not connect to the broker at ${options.urls.map(redactUrl).join(', ')} within ${timeoutMs} ms`));
        }, timeoutMs);
        readyWaiters.add(done);
      });
    },
    async close() {
      closing = true;
      clearTimeout(timer);
      const m = model;
      model = null;
      setStatus('closed');
      if (m) await m.close().catch(() => {});
    },
  };
};
