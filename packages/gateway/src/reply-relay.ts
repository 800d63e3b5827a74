// Relays a session's reply queue to its socket. Each response is settled on
// the broker only after the browser acked it, so nothing is lost between
// RabbitMQ and the browser; a tab that stops acking is disconnected and its
// responses wait in RabbitMQ, not in gateway memory. A client that asked for
// batches gets the responses of a tick as one frame (createResponseFrames); a
// client that asked for cumulative acks acknowledges by sequence number
// instead of one ack callback per frame (decision 0018).
import type { Logger } from 'pino';
import type { Socket } from 'socket.io';
import { isFinal, type Ack, type Response } from '@warren/protocol';
import { dataBytesOf, type GatewayTransport, type Subscription } from '@warren/transport';
import type { GatewayMetrics } from './metrics.ts';
import type { GatewayOptions } from './options.ts';
import type { ConnectionRequests } from './in-flight.ts';
import type { PluginChain } from './plugins/compose.ts';
import type { ConnectionContext } from './plugins/types.ts';
import type { HeldAcks } from './held-acks.ts';
import { createResponseFrames } from './response-frames.ts';

interface ReplyRelayDeps {
  socket: Pick<Socket, 'emit'> & { conn: Pick<Socket['conn'], 'close'> };
  /** The client asked for `responses` frames in its handshake (capability response-batches). */
  batching?: boolean;
  /** The client asked for `cumulative-acks`: frames carry seqs, acknowledged by `acked`. */
  sequenced?: boolean;
  /** The client asked for `data-bytes`: a large response's data may go as the worker's bytes (`dataJson`). */
  dataBytes?: boolean;
  /** When a batch flushes (createResponseFrames; setImmediate unless a test says otherwise). */
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
  /**
   * The client asked for `fast-answers` (or `cumulative-acks`): a response
   * whose call's ack is held rides in it (a durable one with its settle).
   */
  held?: Pick<HeldAcks, 'answer'>;
  /** Each response, before anything else sees it (the queue-position watch ends on the first). */
  onResponse?(response: Response): void;
}

export interface ReplyRelay {
  /** Starts consuming (once); lazily for new sessions, at once for resumed ones. */
  ensure(): Promise<Subscription>;
  /** False while its consumer is started but the broker is not delivering to it (being re-made). */
  healthy(): boolean;
  /**
   * A fast-lane response (decision 0016): in its call's held ack
   * (fast-answers), else to the socket with the others of its tick; nothing
   * to settle either way.
   */
  relayFast(response: Response, bytes?: number): void;
  /**
   * A response another reader relays (a retained call's, already through its
   * plugins and metrics): in this socket's frames, `onAcked` once the browser
   * acked the frame that held it (it counts for the stall watch too).
   * Without `onAcked` (a fast response that followed its call's ack) there
   * is nothing to settle or watch.
   */
  send(response: Response, onAcked?: () => void): void;
  /** Sequenced: `settle` runs once the browser acknowledged `ack` (held-acks.ts carries a durable response in it). */
  carry(ack: Ack, settle: () => void): void;
  /**
   * Sequenced: called as `ack` is written; gives it its seq when it carries a
   * durable response (`carry`). Mutates and returns it.
   */
  stamp(ack: Ack): Ack;
  /** The client acknowledged every response frame up to seq `n` (false: ignored as bogus). */
  acked(n: unknown): boolean;
  close(): void;
}

/**
 * Capability `data-bytes`: the response with `dataJson`, the worker's bytes
 * of its data (a Socket.IO binary attachment), in place of `data`, when the
 * transport kept them and nothing (a plugin) read or replaced the data
 * since; else the response itself. Built key by key: reading `data` would
 * parse it. Typed as a Response for the frames and held acks, which only
 * read its id and kind; the socket's encoder is what reads the rest.
 */
const withDataBytes = (response: Response): Response => {
  const bytes = dataBytesOf(response);
  if (bytes === undefined) return response;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(response)) if (key !== 'data') out[key] = response[key as keyof Response];
  out.dataJson = bytes;
  return out as unknown as Response;
};

export const createReplyRelay = (deps: ReplyRelayDeps): ReplyRelay => {
  const { socket, options, log, now, requests, metrics } = deps;
  const dataBytes = deps.dataBytes ?? false;
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

  // Acks that carry a durable response, until written (stamp).
  const carried = new WeakMap<Ack, () => void>();
  const frames = createResponseFrames({
    socket,
    batching: deps.batching ?? false,
    sequenced: deps.sequenced ?? false,
    ...(deps.schedule ? { schedule: deps.schedule } : {}),
    sent: () => {
      const n = emitted++;
      unacked.set(n, now());
      watchStall();
      return n;
    },
    done: (n) => void unacked.delete(n),
  });

  const ensure = () =>
    (replies ??= deps.transport
      .consumeReplies(
        deps.sessionId,
        (response, settle, bytes) => {
          if (closed) return; // unsettled: the broker requeues it for the next socket
          const out = dataBytes ? withDataBytes(beforeEmit(response)) : beforeEmit(response);
          // A durable call whose ack is held (cumulative-acks): it rides in the ack, settled on its seq.
          if (deps.held?.answer(out, settle) !== true) frames.send(out, bytes, settle);
        },
        { prefetch: options.replyPrefetch, dataBytes },
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
      if (closed) return;
      const out = beforeEmit(response);
      if (deps.held?.answer(out) !== true) frames.send(out, bytes);
    },
    send(response, onAcked) {
      if (!closed) frames.send(response, undefined, onAcked);
    },
    carry(ack, settle) {
      carried.set(ack, settle);
    },
    stamp(ack) {
      const settle = carried.get(ack);
      if (settle === undefined) return ack;
      carried.delete(ack);
      const seq = frames.track(settle);
      if (seq !== undefined && ack.ok) ack.seq = seq;
      return ack;
    },
    acked: (n) => frames.acked(n),
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
