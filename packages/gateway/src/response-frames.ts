// How responses leave for one socket (capability `response-batches`). A
// client that asked for batches gets the responses of one tick as ONE
// `responses` frame with ONE ack; every other client, one `response` frame
// each, as before. WebSocket frame writes are the gateway's largest native
// cost (decision 0015), and a stream's chunks mostly arrive together (a
// worker's batch reply is one AMQP message): one frame and one ack instead of
// one per chunk, both ways.
import type { Socket } from 'socket.io';
import { EVENTS, RESPONSES_FRAME, type Response } from '@warren/protocol';

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
  limits?: { maxResponses: number; maxBytes: number };
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

export const createResponseFrames = (deps: ResponseFramesDeps): ResponseFrames => {
  const { socket } = deps;
  const schedule = deps.schedule ?? ((flush: () => void) => void setImmediate(flush));
  const limits = deps.limits ?? RESPONSES_FRAME;
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
