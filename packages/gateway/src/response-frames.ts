import type { Socket } from 'socket.io';
import { EVENTS, RESPONSES_FRAME, type Response } from '@warren/protocol';

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

export const createResponseFrames = (deps: ResponseFramesDeps): ResponseFrames => {
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
