// Socket.IO event names and the timeout ceiling: constants the client needs
// on every page, kept apart from the zod schemas (envelopes.ts re-exports them).

/** Socket.IO event names, both directions. */
export const EVENTS = {
  /** client → gateway, with an ack callback answered by an {@link Ack}. */
  request: 'request',
  /**
   * client → gateway, only to a gateway that lists `request-batches`: an
   * array of request frames, with one ack callback answered by the array of
   * their acks (same order), or by one refusal when the frame is malformed.
   */
  requests: 'requests',
  /** client → gateway: stop a request the same session made. */
  cancel: 'cancel',
  /** gateway → client, with an ack callback the client answers with nothing. */
  response: 'response',
  /**
   * gateway → client, only to a client that asked for `response-batches`: an
   * array of response envelopes in order, with one ack callback for all of them.
   */
  responses: 'responses',
  /**
   * client → gateway, no ack, only to a gateway that sent sequence numbers
   * (capability `cumulative-acks`): the highest response seq the client has
   * received; every frame up to it is acknowledged.
   */
  acks: 'acks',
  /** gateway → client on connect: the session id and its signed resume token. */
  session: 'session',
  /** client → gateway: browser log lines (client logger). */
  clientLog: 'client-log',
  /** gateway → client, no ack: how many requests are ahead of a call still waiting in its queue ({@link QueuedFrame}). */
  queued: 'queued',
  /** client → gateway, with an ack callback answered by the live registry catalogue. */
  registry: 'registry',
} as const;

export const MAX_TIMEOUT_MS = 24 * 60 * 60 * 1000;
