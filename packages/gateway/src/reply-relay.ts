// Relays a session's reply queue to its socket. Each response is settled on
// the broker only after the browser acked it, so nothing is lost between
// RabbitMQ and the browser; a tab that stops acking is disconnected and its
// responses wait in RabbitMQ, not in gateway memory. A client that asked for
// batches gets the responses of a tick as one frame (createResponseFrames); a
// client that asked for cumulative acks acknowledges by sequence number
// instead of one ack callback per frame (decision 0018).
import type { Logger } from 'pino';
import type { Socket } from 'socket.io';
import { EVENTS, isFinal, RESPONSES_FRAME, type Ack, type Response } from '@warren/protocol';
import { dataBytesOf, type GatewayTransport, type Subscription } from '@warren/transport';
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
   * Capability `cumulative-acks`: a frame holding something to settle goes
   * without an ack callback, with its seq as the event's second argument;
   * `acked(n)` settles every frame up to seq n.
   */
  sequenced?: boolean;
  /**
   * Runs the flush after the current tick. setImmediate (the default): it runs
   * after every AMQP delivery of the socket reads of this loop turn, so all
   * of them share a frame (see docs/performance.md).
   */
  schedule?: (flush: () => void) => void;
  /** A frame holding something to settle went out; returns its number, for `done` once the client acked it (a number, not a closure per frame). */
  sent(): number;
  done(frame: number): void;
}

interface ResponseFrames {
  /**
   * Sends a response: at once to a client that does not batch, else with the
   * others of this tick. `settle` runs once the client acked the frame that
   * carried it. `bytes`: its size as the transport saw it (for the frame's
   * byte bound); without it, its JSON is measured.
   */
  send(response: Response, bytes: number | undefined, settle?: () => void): void;
  /**
   * Sequenced: gives something about to be written (a durable response in
   * its call's ack) the next seq; `settle` runs once it is acknowledged.
   * Undefined once closed (nothing is written then).
   */
  track(settle: () => void): number | undefined;
  /**
   * Sequenced: the client acknowledged every seq up to `n`. False (and
   * nothing settled) for anything but an integer from the last seq
   * acknowledged to the last sent: a hostile or buggy ack never settles what
   * was not sent, and never throws.
   */
  acked(n: unknown): boolean;
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
  // Sequenced: the last seq sent and acknowledged, and what each unacknowledged one settles, oldest first.
  let lastSeq = 0;
  let ackedSeq = 0;
  // Two arrays in step rather than a wrapping closure per seq: the frame's number (stall watch) and what it settles.
  const pendingFrames: number[] = [];
  const pending: Array<() => void> = [];

  const track = (settle: () => void): number | undefined => {
    if (closed) return undefined;
    pendingFrames.push(deps.sent());
    pending.push(settle);
    return ++lastSeq;
  };

  const emit = (frame: Held[]) => {
    if (closed || frame.length === 0) return;
    if (deps.sequenced === true) {
      const single = frame.length === 1;
      const payload = single ? frame[0]!.response : frame.map((h) => h.response);
      const event = single ? EVENTS.response : EVENTS.responses;
      // Nothing to settle (fast-lane responses): no seq, nothing to acknowledge.
      if (!frame.some((h) => h.settle !== undefined)) return void socket.emit(event, payload);
      const seq = track(() => {
        for (const h of frame) h.settle?.();
      })!;
      return void socket.emit(event, payload, seq);
    }
    // The stall watch counts only frames whose ack settles something (not fast-lane ones).
    const acked = frame.some((h) => h.settle !== undefined) ? deps.sent() : undefined;
    let done = false;
    const ack = () => {
      if (done) return;
      done = true;
      if (acked !== undefined) deps.done(acked);
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
    track,
    acked(n) {
      if (closed || typeof n !== 'number' || !Number.isInteger(n) || n > lastSeq || n < ackedSeq) return false;
      // Settled in order: shift() keeps `pending` aligned with seqs ackedSeq+1…lastSeq.
      while (ackedSeq < n) {
        ackedSeq++;
        const frame = pendingFrames.shift();
        if (frame !== undefined) deps.done(frame);
        pending.shift()?.();
      }
      return true;
    },
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
      // Unsettled: the broker hands them to the session's next consumer.
      pending.length = 0;
      pendingFrames.length = 0;
    },
  };
};

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
