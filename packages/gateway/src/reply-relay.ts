// Relays a session's reply queue to its socket. Each response is settled on
// the broker only after the browser acked it, so nothing is lost between
// RabbitMQ and the browser; a tab that stops acking is disconnected and its
// responses wait in RabbitMQ, not in gateway memory. A client that asked for
// batches gets the responses of a tick as one frame (createResponseFrames).
import type { Logger } from 'pino';
import type { Socket } from 'socket.io';
import { EVENTS, isFinal, RESPONSES_FRAME, type Response } from '@warren/protocol';
import type { GatewayTransport, Subscription } from '@warren/transport';
import type { GatewayMetrics } from './metrics.ts';
import type { GatewayOptions } from './options.ts';
import type { ConnectionRequests } from './in-flight.ts';
import type { PluginChain } from './plugins/compose.ts';
import type { ConnectionContext } from './plugins/types.ts';
import type { HeldAcks } from './held-acks.ts';

// How responses leave for the socket (capability `response-batches`). A
// client that asked for batches gets the responses of one tick as ONE
// `responses` frame with ONE ack; every other client, one `response` frame
// each, as before. WebSocket frame writes are the gateway's largest native
// cost (decision 0015), and a stream's chunks mostly arrive together (a
// worker's batch reply is one AMQP message): one frame and one ack instead of
// one per chunk, both ways.
interface ResponseFramesDeps {
  /** Only `emit` is used: a frame and its ack callback. */
  socket: Pick<Socket, 'emit'>;
  /** The client said so in its handshake (`auth.capabilities`). */
  batching: boolean;
  /**
   * Runs the flush after the current tick. setImmediate (the default): it runs
   * after every AMQP delivery of the socket reads of this loop turn, so all
   * of them share a frame (see docs/performance.md).
   */
  schedule?: (flush: () => void) => void;
  /** A frame holding something to settle went out; returns what to call when the client acked it. */
  sent(): () => void;
}

interface ResponseFrames {
  /**
   * Sends a response: at once to a client that does not batch, else with the
   * others of this tick. `settle` runs once the client acked the frame that
   * carried it. `bytes`: its size as the transport saw it (for the frame's
   * byte bound); without it, its JSON is measured.
   */
  send(response: Response, bytes: number | undefined, settle?: () => void): void;
  /** Drops what waits for the flush: its deliveries stay unsettled, so the broker keeps them. */
  close(): void;
}

interface Held {
  response: Response;
  settle: (() => void) | undefined;
}

const createResponseFrames = (deps: ResponseFramesDeps): ResponseFrames => {
  const { socket } = deps;
  const schedule = deps.schedule ?? ((flush: () => void) => void setImmediate(flush));
  const limits = RESPONSES_FRAME;
  let held: Held[] = [];
  let heldBytes = 0;
  let scheduled = false;
  let closed = false;

  const emit = (frame: Held[]) => {
    if (closed || frame.length === 0) return;
    // The stall watch counts only frames whose ack settles something (not fast-lane ones).
    const acked = frame.some((h) => h.settle !== undefined) ? deps.sent() : undefined;
    let done = false;
    const ack = () => {
      if (done) return;
      done = true;
      acked?.();
      for (const h of frame) h.settle?.();
    };
    // A lone response goes as the frame every client reads.
    if (frame.length === 1) socket.emit(EVENTS.response, frame[0]!.response, ack);
    else
      socket.emit(
        EVENTS.responses,
        frame.map((h) => h.response),
        ack,
      );
  };

  const flush = () => {
    const frame = held;
    held = [];
    heldBytes = 0;
    emit(frame);
  };

  return {
    send(response, bytes, settle) {
      if (closed) return;
      if (!deps.batching) return emit([{ response, settle }]);
      bytes ??= JSON.stringify(response).length;
      // A response that would take the frame past its byte bound starts the next one.
      if (held.length > 0 && heldBytes + bytes > limits.maxBytes) flush();
      held.push({ response, settle });
      heldBytes += bytes;
      if (held.length >= limits.maxResponses || heldBytes >= limits.maxBytes) return flush();
      if (scheduled) return;
      scheduled = true;
      schedule(() => {
        scheduled = false;
        flush();
      });
    },
    close() {
      closed = true;
      held = [];
      heldBytes = 0;
    },
  };
};

interface ReplyRelayDeps {
  socket: Pick<Socket, 'emit'> & { conn: Pick<Socket['conn'], 'close'> };
  /** The client asked for `responses` frames in its handshake (capability response-batches). */
  batching?: boolean;
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
  /** The client asked for `fast-answers`: a fast response whose call's ack is held rides in it. */
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
      if (closed) return;
      const out = beforeEmit(response);
      if (deps.held?.answer(out) !== true) frames.send(out, bytes);
    },
    send(response, onAcked) {
      if (!closed) frames.send(response, undefined, onAcked);
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
