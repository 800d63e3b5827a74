// Relays a session's reply queue to its socket. Each response is settled on
// the broker only after the browser acked it, so nothing is lost between
// RabbitMQ and the browser; a tab that stops acking is disconnected and its
// responses wait in RabbitMQ, not in gateway memory. A client that asked for
// batches gets the responses of a tick as one frame (response-frames.ts).
import type { Logger } from 'pino';
import type { Socket } from 'socket.io';
import { isFinal, type Response } from '@warren/protocol';
import type { GatewayTransport, Subscription } from '@warren/transport';
import type { GatewayMetrics } from './metrics.ts';
import type { GatewayOptions } from './options.ts';
import type { ConnectionRequests } from './in-flight.ts';
import type { PluginChain } from './plugins/compose.ts';
import type { ConnectionContext } from './plugins/types.ts';
import { createResponseFrames } from './response-frames.ts';

interface ReplyRelayDeps {
  socket: Pick<Socket, 'emit'> & { conn: Pick<Socket['conn'], 'close'> };
  /** The client asked for `responses` frames in its handshake (capability response-batches). */
  batching?: boolean;
  /** When a batch flushes (response-frames.ts; setImmediate unless a test says otherwise). */
  schedule?: (flush: () => void) => void;
  transport: Pick<GatewayTransport, 'consumeReplies'>;
  options: GatewayOptions;
  sessionId: string;
  log: Logger;
  now: () => number;
  /** Plugins' onResponse hooks see each response before the socket does. */
  chain: PluginChain;
  connection: ConnectionContext;
  /** The connection's requests in flight: a final answer finishes one (metrics). */
  requests: ConnectionRequests;
  metrics: GatewayMetrics;
  /** Each response, before anything else sees it (the queue-position watch ends on the first). */
  onResponse?(response: Response): void;
}

export interface ReplyRelay {
  /** Starts consuming (once); lazily for new sessions, at once for resumed ones. */
  ensure(): Promise<Subscription>;
  /** False while its consumer is started but the broker is not delivering to it (being re-made). */
  healthy(): boolean;
  /** A fast-lane response (decision 0016): to the socket with the others of its tick, nothing to settle. */
  relayFast(response: Response, bytes?: number): void;
  close(): void;
}

export const createReplyRelay = (deps: ReplyRelayDeps): ReplyRelay => {
  const { socket, options, log, now, requests, metrics } = deps;
  /** Plugins and metrics see each response before the socket does. */
  const beforeEmit = (response: Response): Response => {
    deps.onResponse?.(response);
    const type = requests.typeOf(response.id);
    const out = deps.chain.response(response, {
      connection: deps.connection,
      sessionId: deps.sessionId,
      request: type === undefined ? undefined : { id: response.id, type },
    });
    if (!isFinal(response)) metrics.chunk(type);
    else {
      const done = requests.finish(response.id);
      metrics.finished(done?.type, response.kind === 'result' ? 'ok' : response.error.code, done ? done.ageMs / 1000 : undefined);
    }
    return out;
  };
  let replies: Promise<Subscription> | null = null;
  let started: Subscription | null = null;
  let closed = false;
  // Frames emitted but not yet acked by the browser, oldest first. Prefetch
  // bounds how many responses they hold; this bounds for how long.
  const unacked = new Map<number, number>();
  let emitted = 0;
  let stallTimer: ReturnType<typeof setInterval> | undefined;
  const watchStall = () => {
    stallTimer ??= setInterval(
      () => {
        const oldest = unacked.values().next();
        if (oldest.done) {
          clearInterval(stallTimer);
          stallTimer = undefined;
          return;
        }
        if (now() - oldest.value > options.ackTimeoutMs) {
          log.warn({ unacked: unacked.size, ackTimeoutMs: options.ackTimeoutMs }, 'client stopped acking responses; disconnecting it');
          // Discard what is buffered: a graceful close would wait for a flush
          // that a client that stopped reading never allows.
          socket.conn.close(true);
        }
      },
      Math.max(250, Math.floor(options.ackTimeoutMs / 4)),
    );
  };

  const frames = createResponseFrames({
    socket,
    batching: deps.batching ?? false,
    ...(deps.schedule ? { schedule: deps.schedule } : {}),
    sent: () => {
      const n = emitted++;
      unacked.set(n, now());
      watchStall();
      return () => unacked.delete(n);
    },
  });

  const ensure = () =>
    (replies ??= deps.transport
      .consumeReplies(
        deps.sessionId,
        (response, settle, bytes) => {
          if (closed) return; // unsettled: the broker requeues it for the next socket
          frames.send(beforeEmit(response), bytes, settle);
        },
        { prefetch: options.replyPrefetch },
      )
      .then((subscription) => (started = subscription))
      .catch((error) => {
        replies = null;
        throw error;
      }));

  return {
    ensure,
    healthy: () => closed || started === null || (started.active?.() ?? true),
    relayFast(response, bytes) {
      if (!closed) frames.send(beforeEmit(response), bytes);
    },
    close() {
      closed = true;
      frames.close();
      clearInterval(stallTimer);
      // Closing the consumer hands unacked responses back to the session queue,
      // where the client's next connection (on any gateway) picks them up.
      void replies?.then((s) => s.close()).catch(() => {});
    },
  };
};
