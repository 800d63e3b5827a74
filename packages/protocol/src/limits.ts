// Size and shape limits every hop and every language applies alike, so a
// payload refused by one SDK is refused by all (exported to topology.json as
// `limits`; Python reads them there).

/** Issues reported in an INVALID_PAYLOAD's `details.issues`; the rest are only counted (`details.issueCount`). */
export const MAX_REPORTED_ISSUES = 20;
/** Characters kept of one issue's path or message. */
export const MAX_ISSUE_TEXT = 200;
/**
 * Deepest nesting of arrays and objects a request payload may have (the
 * payload itself is depth 1). Deeper bodies are refused with INVALID_REQUEST
 * before anything recursive (a JSON parser, a schema check) touches them.
 */
export const MAX_BODY_DEPTH = 128;
/** Largest request body, in bytes, a worker parses; a larger one is answered INVALID_REQUEST unread. */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

/**
 * A `responses` frame (capability `response-batches`) holds at most
 * `maxResponses` envelopes and, unless it holds one, about `maxBytes` of
 * them: a bigger response goes alone. Bounds what one ack settles and how
 * long one frame keeps a socket busy.
 */
export const RESPONSES_FRAME = { maxResponses: 128, maxBytes: 64 * 1024 } as const;

/**
 * A `requests` frame (capability `request-batches`) holds 1 to `maxRequests`
 * request frames; a gateway refuses a longer one whole. A client also starts
 * a new frame once the request frames it holds pass about `maxBytes`, or the
 * gateway's maxPayloadBytes when lower (a larger request goes alone): one
 * frame never keeps the socket busy for long, nor passes the gateway's frame
 * limit. Every element still meets the gateway's per-request limits.
 */
export const REQUESTS_FRAME = { maxRequests: 128, maxBytes: 64 * 1024 } as const;

/**
 * How long a gateway holds a durable request's ack, after the broker
 * confirm, for the call's first response (capability `cumulative-acks`), in
 * ms; also a fast request's in a `requests` frame, whose other slots' acks
 * (and the answers in them) wait for it. Short, because a durable ack means
 * "persisted": a client re-sends a request whose ack it lost, so every ms
 * held is a ms more in which a dropped socket leads to a re-send (and, on
 * another gateway, to a second publish).
 */
export const ACK_HOLD_MS = 20;

/**
 * How long a gateway holds a fast request's ack for the call's first
 * response (capability `fast-answers`), in ms. A fast ack promises little
 * (the request was written, never "accepted"), and a fast call whose socket
 * drops before its ack fails at once with DISCONNECTED rather than waiting
 * for its deadline, so the hold may cover a loaded worker's answer time:
 * each answer later than the hold costs a `response` frame. Still below
 * every client timer that reads an ack's absence (a call's deadline is
 * typically seconds; the stall watch is ackTimeoutMs, 60 s by default) and
 * below a reconnect (socket.io's first retry waits 250 ms), so a held ack is
 * never mistaken for a lost one. Bounds what holding adds to a slow fast
 * call's acceptance (its answer is not delayed: it comes in a frame).
 */
export const FAST_ACK_HOLD_MS = 100;

/**
 * How long a client (capability `cumulative-acks`) waits for a request frame
 * to carry its response acks before it sends them alone in an `acks` frame,
 * in ms. A page that answers a response with its next request sends it in
 * the same tick, so the wait only matters when no request follows: it is
 * the delay before the broker settles those responses. Long enough to
 * cover a render-then-request round (a 60 Hz frame is 16.7 ms), short
 * enough that the reply prefetch (256 by default) is never the limit (at
 * most 256 responses per 20 ms wait unacked, 12 800/s a session) and far
 * below the stall rule (ackTimeoutMs, 60 s by default).
 */
export const ACK_DELAY_MS = 20;

export const LIMITS = {
  maxReportedIssues: MAX_REPORTED_ISSUES,
  maxIssueText: MAX_ISSUE_TEXT,
  maxBodyDepth: MAX_BODY_DEPTH,
  maxBodyBytes: MAX_BODY_BYTES,
} as const;
