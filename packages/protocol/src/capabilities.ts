// What a gateway supports beyond the first release of protocol version 1,
// named in its `session` frame (`capabilities`). Socket.IO frames carry no
// version, and a gateway from before a capability strips the frame fields it
// does not know, silently: the client checks this list before sending them.
// Zod-free, so the browser bundle can import it.

/** Capability names a gateway may list in its session frame (exported as topology.json#capabilities). */
export const CAPABILITIES = {
  /** The request frame's `key` and `attach`, the ack's `attached`, `EXPIRED` (spec: Retained calls). */
  retainedCalls: 'retained-calls',
  /** The `queued { id, position }` event while a request waits in its queue. */
  queuePositions: 'queue-positions',
  /**
   * The `responses` event: the responses relayed to a socket within one tick
   * as one frame with one cumulative ack. A client asks for it in its
   * handshake (`auth.capabilities`); a gateway that lists it sends batches
   * only to a client that asked (spec: Response batches).
   */
  responseBatches: 'response-batches',
  /**
   * The `requests` event: several request frames in one frame with one ack,
   * answered with the array of their acks. A client sends it only to a
   * gateway that lists this (an older one has no listener for it; spec:
   * Request batches).
   */
  requestBatches: 'request-batches',
  /**
   * The answer in the ack: the ack of a request that took the fast lane waits
   * (at most FAST_ACK_HOLD_MS; ACK_HOLD_MS in a `requests` frame) for the
   * call's first response and carries it as `response`, so a fast echo
   * costs 2 frames, not 4. A client asks in its handshake
   * (`auth.capabilities`); a gateway that lists it holds acks only for a
   * client that asked (spec: The fast lane, The answer in the ack).
   */
  fastAnswers: 'fast-answers',
  /**
   * Cumulative response acks (spec: Cumulative acks): `response`/`responses`
   * frames come without an ack callback but with a per-socket sequence
   * number, the client acknowledges "everything up to seq N" on its next
   * `request`/`requests` frame or, after ACK_DELAY_MS without one, in an
   * `acks` frame; and a durable request's ack waits (at most ACK_HOLD_MS,
   * after the broker confirm) for the call's first response and carries it
   * with its seq. A durable echo then costs 2
   * frames, not 4. A client asks in its handshake; a gateway that lists it
   * does this only for a client that asked.
   */
  cumulativeAcks: 'cumulative-acks',
  /**
   * Data as bytes (spec: Data as bytes): a `chunk` or `result` envelope may
   * come with `dataJson`, the UTF-8 bytes of its data's JSON text as a
   * Socket.IO binary attachment, in place of `data`: a gateway relays a
   * large reply's data as the worker wrote it, without parsing and
   * re-encoding it. A client asks in its handshake (`auth.capabilities`); a
   * gateway sends `dataJson` only to a client that asked.
   */
  dataBytes: 'data-bytes',
} as const;

export type Capability = (typeof CAPABILITIES)[keyof typeof CAPABILITIES];
