// The response stream behind a worker handler's sendChunk and its final message:
// numbers every message, bounds unconfirmed chunks, and refuses to send once
// the request was cancelled or its deadline passed.
import { createWarrenError, isWarrenError, jsonChecked, REPLY_RETRY, type Response, type WireError, type WorkerHop } from '@warren/protocol';
import { withDataJson, type OutgoingResponse, type ResponseOutcome, type WorkerTransport } from '@warren/transport';

interface ResponseStream {
  /**
   * Set when a response could not be published: the answer has a gap.
   * `reason` tells whether anyone could receive it (isUndeliverable).
   */
  broken(): { reason: unknown } | undefined;
  /** Told once, when the stream breaks; undefined stops telling (a plain callback, not an AbortSignal: one per request cost). */
  onBroken(listener: ((reason: unknown) => void) | undefined): void;
  chunk(data: unknown): Promise<void>;
  /** `dataJson`: the result's JSON text, when the handler run checked it (HandlerOutcome); the body reuses it. */
  final(response: { kind: 'result'; data: unknown; dataJson?: string } | { kind: 'error'; error: WireError }): Promise<void>;
}

/**
 * A batch message holds at most this many responses and about this many
 * bytes of them (a bigger response travels alone). The gateway's prefetch
 * counts messages, so the byte cap is what keeps its per-socket buffer as
 * small as with one response per message.
 */
const MAX_BATCH = 128;
const MAX_BATCH_BYTES = 16 * 1024;

const UNDELIVERABLE = 'undeliverable';
/** How every fast-lane response is published (decision 0016); one object for all of them. */
const FAST = Object.freeze({ fast: true });
/** The answer has no recipient: its reply queue stayed missing for the whole retry window. */
export const isUndeliverable = (error: unknown) => error instanceof Error && (error as { details?: { reason?: unknown } }).details?.reason === UNDELIVERABLE;

export interface RetryClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}
const realClock: RetryClock = { now: Date.now, sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) };

/**
 * Publishes until a queue takes the message. A returned (unroutable) one,
 * and one the broker did not confirm (a quorum queue nacks for seconds after
 * its leader's node died, docs/decisions/0010-measurements.md d), is sent
 * again after REPLY_RETRY's delays, within its window and the request's
 * deadline. Still returned then, it rejects with an undeliverable error;
 * still not confirmed, with the broker's error (the request is handed back).
 */
export const publishRouted = (send: () => Promise<ResponseOutcome>, deadline: number | undefined, clock: RetryClock = realClock): Promise<void> => {
  // The first attempt without an async frame of its own: it is delivered
  // almost always (docs/decisions/0015, "The worker (third round)").
  let first: Promise<ResponseOutcome>;
  try {
    first = send();
  } catch (error) {
    first = Promise.reject(error);
  }
  return first.then(
    (outcome) => (outcome === 'delivered' ? undefined : retryRouted(send, deadline, clock, outcome, undefined)),
    (error: unknown) => {
      if (!isWarrenError(error) || error.code !== 'BROKER_UNAVAILABLE') throw error;
      return retryRouted(send, deadline, clock, 'failed', error);
    },
  );
};

const retryRouted = async (
  send: () => Promise<ResponseOutcome>,
  deadline: number | undefined,
  clock: RetryClock,
  firstOutcome: ResponseOutcome | 'failed',
  firstFailure: unknown,
): Promise<void> => {
  let failure = firstFailure;
  const attempt = async (): Promise<ResponseOutcome | 'failed'> => {
    try {
      return await send();
    } catch (error) {
      if (!isWarrenError(error) || error.code !== 'BROKER_UNAVAILABLE') throw error;
      failure = error;
      return 'failed';
    }
  };
  let outcome = firstOutcome;
  const giveUpAt = Math.min(clock.now() + REPLY_RETRY.windowMs, deadline ?? Infinity);
  for (let i = 0; ; i += 1) {
    const delay = REPLY_RETRY.delaysMs[Math.min(i, REPLY_RETRY.delaysMs.length - 1)]!;
    if (clock.now() + delay > giveUpAt) break;
    await clock.sleep(delay);
    outcome = await attempt();
    if (outcome === 'delivered') return;
  }
  if (outcome === 'failed') throw failure;
  throw createWarrenError('DISCONNECTED', "No queue takes this request's answers (its session's reply queue is gone); nobody can receive them.", {
    details: { reason: UNDELIVERABLE },
  });
};

/** Where a run's responses go, and what it is told of them; shared by the stream and, once a chunk is sent, its chunk publisher. */
interface Destination {
  transport: WorkerTransport;
  session: string;
  replyTo: string | undefined;
  deadline: number | undefined;
  /** How fast responses are published (FAST), else undefined. */
  how: typeof FAST | undefined;
  /** Batches: the reply consumer reads batch messages and the transport can publish them. */
  publishMany: boolean;
  window: number;
  onPublished: ((responses: readonly Response[]) => void) | undefined;
  breakWith(error: unknown): void;
}

/**
 * The chunks of one run: published, batched per tick, bounded by the
 * window, and the final after them. Made on a run's first chunk: an answer
 * without chunks (most) needs none of it (decision 0019, sixth round).
 */
const createChunkPublisher = (to: Destination) => {
  const { transport, session, replyTo, deadline, how, publishMany, window, onPublished } = to;
  /** Published, not yet confirmed, oldest first; `count` responses each. */
  const pending: Array<{ confirmed: Promise<void>; count: number }> = [];
  let unconfirmed = 0;
  // Chunks sent within one tick wait here and leave as one message: a
  // handler streaming faster than the broker confirms costs one publish per
  // tick, not one per chunk. A handler that pauses between chunks sends each
  // at once, as before.
  const queued: OutgoingResponse[] = [];
  let queuedBytes = 0;
  let scheduled = false;

  const publish = (responses: OutgoingResponse[]) => {
    const confirmed =
      responses.length === 1
        ? publishRouted(() => transport.publishResponse(session, responses[0]!, replyTo, how), deadline)
        : !publishMany
          ? Promise.all(responses.map((r) => publishRouted(() => transport.publishResponse(session, r, replyTo, how), deadline))).then(() => {})
          : publishRouted(() => transport.publishResponses!(session, responses, replyTo, how), deadline);
    const entry = { confirmed, count: responses.length };
    unconfirmed += entry.count;
    confirmed.then(
      () => {
        unconfirmed -= entry.count;
        onPublished?.(responses);
      },
      (error: unknown) => to.breakWith(error),
    );
    pending.push(entry);
  };
  const flush = () => {
    scheduled = false;
    queuedBytes = 0;
    if (queued.length > 0) publish(queued.splice(0));
  };
  const send = (response: OutgoingResponse, bytes: number) => {
    if (!publishMany) return publish([response]);
    if (queued.length > 0 && queuedBytes + bytes > MAX_BATCH_BYTES) flush();
    queued.push(response);
    queuedBytes += bytes;
    if (queued.length >= MAX_BATCH || queuedBytes >= MAX_BATCH_BYTES) flush();
    else if (!scheduled) {
      scheduled = true;
      process.nextTick(flush);
    }
  };
  /** Waits for the oldest publishes until at most `limit` responses are unconfirmed. */
  const settleDownTo = async (limit: number) => {
    while (unconfirmed > limit && pending.length > 0) await pending.shift()!.confirmed;
  };
  return {
    /** Nothing published and unconfirmed, nor queued: a final can go on its own. */
    idle: () => pending.length === 0 && queued.length === 0,
    async chunk(response: OutgoingResponse, bytes: number) {
      send(response, bytes);
      if (unconfirmed + queued.length >= window) {
        flush();
        await settleDownTo(Math.floor(window / 2));
      }
    },
    /** The final after earlier chunks: it leaves with the chunks still queued, and waits for all of them. */
    async final(response: OutgoingResponse) {
      // A short stream is one message; the final's size is not counted: a batch is ≤ 16 KB of chunks plus it.
      if (publishMany) queued.push(response);
      else publish([response]);
      flush();
      // Every earlier chunk must be confirmed too before the request is acked.
      if (pending.length === 1) await pending[0]!.confirmed;
      else await Promise.all(pending.map((p) => p.confirmed));
    },
  };
};

export const createResponseStream = (
  transport: WorkerTransport,
  session: string,
  id: string,
  attempt: number,
  window: number,
  /** The reply consumer reads batch messages (request.batchReplies). */
  batches = false,
  /** The request's own reply address (AMQP reply_to), which wins over the session's queue. */
  replyTo?: string,
  /** The request's deadline: an unroutable answer is retried until then at most. */
  deadline?: number,
  /** Told of the responses the broker confirmed (metrics). */
  onPublished?: (responses: readonly Response[]) => void,
  /** Who picked this attempt up, and when: stamped on its first response (seq 0). */
  hop?: WorkerHop,
  /** A fast-lane request: its responses go out unconfirmed (decision 0016), so "confirmed" means written. */
  fast = false,
): ResponseStream => {
  let seq = 0;
  let broken: { reason: unknown } | undefined;
  let brokenListener: ((reason: unknown) => void) | undefined;
  // No bound method and no options object per request: both were made for every run (issue 16).
  const how = fast ? FAST : undefined;
  const breakWith = (error: unknown) => {
    if (broken !== undefined) return;
    broken = { reason: error };
    brokenListener?.(error);
  };
  let chunks: ReturnType<typeof createChunkPublisher> | undefined;
  const chunkPublisher = () =>
    (chunks ??= createChunkPublisher({
      transport,
      session,
      replyTo,
      deadline,
      how,
      publishMany: batches && transport.publishResponses !== undefined,
      window,
      onPublished,
      breakWith,
    }));
  return {
    broken: () => broken,
    onBroken(listener) {
      brokenListener = listener;
    },
    // Not async: the publisher's chunk is, and a second async layer per
    // chunk cost a 1,000-chunk stream a third more of this file's time
    // (in one process on Bun, 2026-11-30). A bad chunk still rejects.
    chunk(data) {
      let response: OutgoingResponse;
      let bytes: number;
      try {
        // The checked text travels with the chunk: the message body reuses it.
        const [value, size, json] = jsonChecked(data, 'chunk');
        const n = seq++;
        // Stamped in place (seq 0 names the worker): the same keys in the same order as a spread copy.
        const envelope: OutgoingResponse = { kind: 'chunk', id, seq: n, attempt, data: value };
        if (n === 0 && hop) envelope.worker = hop;
        response = withDataJson(envelope, json);
        bytes = size;
      } catch (error) {
        return Promise.reject(error);
      }
      return chunkPublisher().chunk(response, bytes);
    },
    final(message) {
      const n = seq++;
      const envelope: OutgoingResponse =
        message.kind === 'result' ? { kind: 'result', id, seq: n, attempt, data: message.data } : { kind: 'error', id, seq: n, attempt, error: message.error };
      if (n === 0 && hop) envelope.worker = hop;
      const response = message.kind === 'result' ? withDataJson(envelope, message.dataJson) : envelope;
      // Nothing waiting before it (an answer without chunks: most requests):
      // published on its own, without the bookkeeping that orders it after
      // earlier messages (decision 0019, sixth round).
      if (chunks === undefined || chunks.idle()) {
        return publishRouted(() => transport.publishResponse(session, response, replyTo, how), deadline).then(
          () => onPublished?.([response]),
          (error: unknown) => {
            breakWith(error);
            throw error;
          },
        );
      }
      return chunks.final(response);
    },
  };
};
