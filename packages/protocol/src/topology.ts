// Every broker name Warren uses, derived from one namespace prefix so that
// tests and several apps can share one broker without touching each other.

/**
 * The wire protocol's version (header x-warren-version, announcements). Its
 * spec and vectors are in spec/v<N>/ of this package. Additions old peers
 * keep working beside (the service registry, batch replies, retained calls…)
 * are capabilities within a version, not new versions: see the version
 * history of spec/v1/protocol.md.
 */
export const PROTOCOL_VERSION = 1;

/** Where a gateway or worker looks for RabbitMQ when nothing says otherwise. */
export const DEFAULT_AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';
/** The namespace every broker name starts with when nothing says otherwise. */
export const DEFAULT_NAMESPACE = 'warren';

/** Names of AMQP headers Warren sets on request messages. */
export const HEADERS = {
  version: 'x-warren-version',
  /** Absolute deadline, epoch milliseconds. */
  deadline: 'x-warren-deadline',
  /** JSON text of the verified principal, set only by the gateway. */
  principal: 'x-warren-principal',
  /** Session that owns the request; cancels must match it. */
  session: 'x-warren-session',
  traceparent: 'traceparent',
  /** Set by quorum queues on redelivery; attempt = count + 1. */
  deliveryCount: 'x-delivery-count',
  /**
   * Request header, value 1 (capability "batch replies", within version 1):
   * the publishing gateway reads batch replies. Workers that do not know it
   * ignore it and publish one response per message.
   */
  batch: 'x-warren-batch',
} as const;

/** AMQP `type` property of reply messages that are not a single response. */
export const MESSAGE_TYPES = {
  /** The body is a JSON array of response envelopes, in order (see HEADERS.batch). */
  batch: 'batch',
} as const;

/** Arguments every per-type request queue is declared with (must match across SDKs). */
export const REQUEST_QUEUE_DELIVERY_LIMIT = 5;

/** Idle reply queues vanish this long after their last consumer went away. */
export const REPLY_QUEUE_EXPIRES_MS = 5 * 60 * 1000;

/**
 * Workers publish every response `mandatory`. One the broker returns (no
 * queue under its reply address: the session's queue expired, or is being
 * declared) is sent again after each of these delays in turn (the last one
 * repeating), for `windowMs` at most and never past the request's deadline;
 * still returned then, it has no recipient: the request is acked and logged
 * `undeliverable`. Both SDKs use these numbers.
 */
export const REPLY_RETRY = { delaysMs: [250, 500, 1000], windowMs: 5_000 } as const;

/**
 * Retained calls (a request sent with a `key`): each has its own reply
 * queue, `ns.call.<call>`, that nobody acks, so a caller who re-attaches
 * (after a reload, through any gateway) reads every response from the first.
 * The queue vanishes `retentionMs` after its last reader left (x-expires:
 * every gateway of a namespace must use the same value, RabbitMQ refuses a
 * redeclare with another). At most `maxResponses` responses / `maxBytes`
 * of bodies are retained per call; a call that goes past either fails.
 */
export const CALL_RETENTION = { retentionMs: 10 * 60 * 1000, maxResponses: 10_000, maxBytes: 16 * 1024 * 1024 } as const;

/**
 * Every cancel is also appended to one stream per namespace, `ns.cancels`,
 * which workers read from its start when they start: a cancel sent while
 * no worker ran is honoured by the worker that later picks the request up.
 * Bounded by age (a request waits at most MAX_TIMEOUT_MS) and size.
 */
export const CANCEL_STREAM_ARGUMENTS = {
  'x-queue-type': 'stream',
  'x-max-age': '1D',
  'x-max-length-bytes': 64 * 1024 * 1024,
  'x-stream-max-segment-size-bytes': 4 * 1024 * 1024,
} as const;

/**
 * How workers read the cancel stream. A record's AMQP `type` is the request
 * type it cancels, so a worker skips the types it does not serve without
 * parsing the body; a worker's start-up marker has `type` = `markerType`
 * (a colon: never a request type) and `message_id` = its nonce. A worker
 * consumes requests once it read its own marker back, or after
 * `markerWaitMs` without it (logged). Its cancel memory covers the stream's
 * retention: a request can wait a day (MAX_TIMEOUT_MS).
 */
export const CANCEL_STREAM = {
  markerType: 'warren:marker',
  markerWaitMs: 5_000,
  /** Stream records delivered to a worker before it acks (stream consumers need a qos). */
  prefetch: 1_000,
  memoryTtlMs: 24 * 60 * 60 * 1000,
  memoryMaxEntries: 100_000,
} as const;

/**
 * The fast lane (docs/decisions/0016-fast-lane.md): an opt-in path with no
 * durability. Requests go to `ns.fast.<type>` through the default exchange,
 * non-persistent, mandatory, unconfirmed; its responses to the publishing
 * gateway's own exclusive reply queue, non-persistent, unconfirmed, with the
 * session in HEADERS.session. A classic queue: RabbitMQ 4 has no transient
 * non-exclusive queues, and a quorum queue would replicate what nobody keeps.
 */
const FAST_QUEUE_ARGUMENTS = { 'x-queue-type': 'classic' } as const;

export const NAMESPACE_PATTERN = /^[a-z][a-z0-9_-]{0,40}$/;
export const REQUEST_TYPE_PATTERN = /^[A-Za-z][A-Za-z0-9_.-]{0,99}$/;
/** A request id, chosen by the client: unique among its session's requests in flight. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

/** Quorum (the default) survives the loss of a cluster node; classic is cheaper and lives on one node. */
export type ReplyQueueType = 'quorum' | 'classic';

export interface Topology {
  namespace: string;
  /** Direct exchange; routing key = request type. */
  requestsExchange: string;
  /** Direct exchange for cancels; routing key = request type. */
  controlExchange: string;
  /** Fanout exchange for worker announcements. */
  registryExchange: string;
  /** Fanout exchange that dead-lettered requests go to. */
  deadLetterExchange: string;
  /** Quorum queue the gateways read dead-lettered requests from. */
  deadLetterQueue: string;
  requestQueue(type: string): string;
  /** The fast lane's request queue of a type (FAST_QUEUE_ARGUMENTS). */
  fastQueue(type: string): string;
  replyQueue(sessionId: string): string;
  /** A retained call's own reply queue (see CALL_RETENTION). */
  callQueue(callId: string): string;
  /** Exclusive queue a gateway holds for a moment while it decides whether a keyed call is new: RabbitMQ lets one connection hold it. */
  callLock(callId: string): string;
  /** The stream every cancel is appended to (see CANCEL_STREAM_ARGUMENTS). */
  cancelStream: string;
  requestQueueArguments(): Record<string, unknown>;
  fastQueueArguments(): Record<string, unknown>;
  /** `classic` only for a single-node broker that wants the cheaper queue (gateway option replyQueueType). */
  replyQueueArguments(type?: ReplyQueueType): Record<string, unknown>;
  deadLetterQueueArguments(): Record<string, unknown>;
  /** Single active consumer: one reader (the attached caller's gateway) at a time receives every response, in order. */
  callQueueArguments(type?: ReplyQueueType, retentionMs?: number): Record<string, unknown>;
}

export const topology = (namespace = DEFAULT_NAMESPACE): Topology => {
  if (!NAMESPACE_PATTERN.test(namespace)) {
    throw new Error(`namespace "${namespace}" must match ${NAMESPACE_PATTERN} (lower-case letters, digits, _ and -)`);
  }
  return namesUnder(namespace);
};

/** The names under any prefix, unchecked: export.ts renders them with the template `{ns}`. */
export const namesUnder = (namespace: string): Topology => {
  const deadLetterExchange = `${namespace}.dead`;
  return {
    namespace,
    requestsExchange: `${namespace}.requests`,
    controlExchange: `${namespace}.control`,
    registryExchange: `${namespace}.registry`,
    deadLetterExchange,
    deadLetterQueue: `${namespace}.dead`,
    requestQueue: (type) => `${namespace}.req.${type}`,
    fastQueue: (type) => `${namespace}.fast.${type}`,
    replyQueue: (sessionId) => `${namespace}.reply.${sessionId}`,
    callQueue: (callId) => `${namespace}.call.${callId}`,
    callLock: (callId) => `${namespace}.call-lock.${callId}`,
    cancelStream: `${namespace}.cancels`,
    requestQueueArguments: () => ({
      'x-queue-type': 'quorum',
      'x-delivery-limit': REQUEST_QUEUE_DELIVERY_LIMIT,
      'x-dead-letter-exchange': deadLetterExchange,
    }),
    fastQueueArguments: () => ({ ...FAST_QUEUE_ARGUMENTS }),
    // Quorum: a session's answers survive the loss of any one node of a
    // cluster (docs/decisions/0010). Durable + x-expires, never exclusive:
    // another gateway must be able to resume the session.
    replyQueueArguments: (type = 'quorum') => ({
      'x-queue-type': type,
      'x-expires': REPLY_QUEUE_EXPIRES_MS,
    }),
    deadLetterQueueArguments: () => ({ 'x-queue-type': 'quorum' }),
    callQueueArguments: (type = 'quorum', retentionMs = CALL_RETENTION.retentionMs) => ({
      'x-queue-type': type,
      'x-expires': retentionMs,
      'x-single-active-consumer': true,
      'x-max-length': CALL_RETENTION.maxResponses,
      'x-max-length-bytes': CALL_RETENTION.maxBytes,
      'x-overflow': 'reject-publish',
    }),
  };
};
