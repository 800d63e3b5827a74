// Request frames on their way to the gateway. A gateway that lists
// `request-batches` gets the requests of one tick (new ones, and re-sends
// after a reconnect) as ONE `requests` frame whose ack is the array of their
// acks; WebSocket frames are a gateway's largest cost per request (decision
// 0015), and a page that gets k answers in one `responses` frame typically
// sends its next k requests in the same tick. Any other gateway, or a lone
// request, gets `request` frames as before. Each request's ack still reaches
// its own handler, unchanged (request-send.ts onAck).
import { EVENTS, REQUESTS_FRAME, type RequestFrame } from '@warren/protocol';
import type { ResponseAcks } from './response-acks.ts';

interface RequestFramesDeps {
  /** socket.emit; may throw (e.g. a payload socket.io cannot encode). */
  emit(event: string, ...args: unknown[]): void;
  isConnected(): boolean;
  /**
   * Cumulative response acks (capability `cumulative-acks`): a frame going
   * out carries what is owed as its second argument, and an ack's `seq` is
   * received. Absent: frames carry none.
   */
  acks?: Pick<ResponseAcks, 'received' | 'take'>;
  /**
   * Runs the flush once the current tick's code is done. @default
   * queueMicrotask: in browsers too, and after every request that answers
   * of one `responses` frame started (their continuations queue first).
   */
  schedule?: (flush: () => void) => void;
}

interface Outgoing {
  frame: RequestFrame;
  /** The frame's ack as the gateway answered it (a batch: its slot). */
  onAck(raw: unknown): void;
  /** It could not be sent: emit threw. */
  onError(error: unknown): void;
  /** False once nothing waits for it any more (settled, or sent again since): left out of the frame. */
  live(): boolean;
  /** It goes out now (alone or in a frame). */
  sent(): void;
}

export interface RequestFrames {
  /**
   * Sends a request frame: at once, or with the others of this tick when
   * batching. `bytes`: about its size as JSON, asked only when batching (a
   * request that would take the frame past its byte bound starts the next).
   */
  send(outgoing: Outgoing, bytes: () => number): void;
  /** Sends what waits now: a cancel must never overtake its request. */
  flush(): void;
  /**
   * Whether this connection's gateway reads `requests` frames (its session
   * frame lists `request-batches`), and the frame's byte bound: at most
   * REQUESTS_FRAME.maxBytes, lower to stay under a gateway's own limit.
   */
  setBatching(on: boolean, maxBytes?: number): void;
}

/** An ack's `seq` (a durable answer inside it, cumulative-acks): received before the ack is read. */
const seqOf = (raw: unknown): unknown => (raw !== null && typeof raw === 'object' ? (raw as { seq?: unknown }).seq : undefined);

/** Emits `event` with `body`, the response acks owed (if any) and the ack callback. */
const emitFrame = (deps: RequestFramesDeps, event: string, body: unknown, onAck: (raw: unknown) => void): void => {
  const upTo = deps.acks?.take();
  if (upTo === undefined) {
    deps.emit(event, body, onAck);
    return;
  }
  try {
    deps.emit(event, body, upTo, onAck);
  } catch (error) {
    // The frame could not be encoded: its acks go alone, as they are no longer owed.
    deps.emit(EVENTS.acks, upTo);
    throw error;
  }
};

const emitOne = (deps: RequestFramesDeps, out: Outgoing): void => {
  out.sent();
  try {
    emitFrame(deps, EVENTS.request, out.frame, (raw: unknown) => {
      deps.acks?.received(seqOf(raw));
      out.onAck(raw);
    });
  } catch (error) {
    out.onError(error);
  }
};

/** Each request's answer from a `requests` frame's ack: its slot, or the refusal of the whole frame. */
const answerEach = (deps: RequestFramesDeps, frame: Outgoing[], raw: unknown): void => {
  const refusedWhole = !Array.isArray(raw) && (raw as { ok?: unknown } | null)?.ok === false;
  // Seqs first, in order: a slot's handler may send the next request, which acknowledges them.
  if (Array.isArray(raw)) for (const slot of raw) deps.acks?.received(seqOf(slot));
  frame.forEach((out, index) => {
    // Anything else that is not an array is malformed for every slot: ignored, as a malformed ack is.
    out.onAck(Array.isArray(raw) ? raw[index] : refusedWhole ? raw : undefined);
  });
};

export const createRequestFrames = (deps: RequestFramesDeps): RequestFrames => {
  const schedule = deps.schedule ?? queueMicrotask;
  let batching = false;
  let maxBytes: number = REQUESTS_FRAME.maxBytes;
  let held: Outgoing[] = [];
  let heldBytes = 0;
  let scheduled = false;

  const flush = (): void => {
    // Most ticks hold one request (one per socket and tick, as the bench's clients send): no copy for it.
    const frame = held.length === 1 ? (held[0]!.live() ? held : []) : held.filter((out) => out.live());
    held = [];
    heldBytes = 0;
    // Dropped when the socket went: they are 'waiting' again and go out on the next connect.
    if (frame.length === 0 || !deps.isConnected()) return;
    if (frame.length === 1) {
      emitOne(deps, frame[0]!);
      return;
    }
    for (const out of frame) out.sent();
    try {
      emitFrame(
        deps,
        EVENTS.requests,
        frame.map((out) => out.frame),
        (raw: unknown) => answerEach(deps, frame, raw),
      );
    } catch {
      // One payload socket.io cannot encode must fail only its own request.
      for (const out of frame) emitOne(deps, out);
    }
  };

  const flushScheduled = (): void => {
    scheduled = false;
    flush();
  };

  return {
    send(out, bytes) {
      if (!batching) {
        flush(); // what waits goes first: order is kept
        return emitOne(deps, out);
      }
      const size = bytes();
      // A request that would take the frame past its byte bound starts the next one.
      if (held.length > 0 && heldBytes + size > maxBytes) flush();
      held.push(out);
      heldBytes += size;
      if (held.length >= REQUESTS_FRAME.maxRequests || heldBytes >= maxBytes) return flush();
      if (scheduled) return;
      scheduled = true;
      schedule(flushScheduled);
    },
    flush,
    setBatching(on, bound = REQUESTS_FRAME.maxBytes) {
      batching = on;
      maxBytes = Math.min(bound, REQUESTS_FRAME.maxBytes);
    },
  };
};
