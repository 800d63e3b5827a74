// The one interface the gateway and the worker SDK use to reach a broker.
// Two implementations keep the same observable semantics: RabbitMQ (real)
// and memory (unit tests, embedded fallback of `npm start`).
import type { Announcement, CancelMessage, Principal, Response } from '@warren/protocol';
import type { OutgoingResponse } from './response-json.ts';

/** A request as it travels from gateway to worker. */
export interface RequestMessage {
  id: string;
  type: string;
  payload: unknown;
  /**
   * `payload` as JSON text, when the publisher has it already (the gateway
   * checked it on arrival): sent as the body instead of stringifying the
   * payload again. It must be JSON.stringify(payload).
   */
  payloadJson?: string;
  /** Session that asked; cancels must name it. */
  session: string;
  /**
   * Where responses go, as the message said (AMQP reply_to); absent for
   * requests built in-process, whose responses go to the session's queue.
   */
  replyTo?: string;
  /** Absolute deadline in epoch milliseconds; absent = none. */
  deadline?: number;
  /** Verified caller identity, set only by the gateway. */
  principal?: Principal;
  traceparent?: string;
  /**
   * The session's reply consumer reads batch messages (several responses in
   * one AMQP message; a capability within protocol version 1): workers may coalesce chunks for it.
   */
  batchReplies?: boolean;
  /**
   * Came through the fast lane (docs/decisions/0016-fast-lane.md): its
   * responses go out non-persistent and unconfirmed to `replyTo` (the
   * gateway's own reply queue), naming the session in a header.
   */
  fast?: boolean;
}

export interface RequestDelivery {
  request: RequestMessage;
  /** 1 on first delivery; +1 for each redelivery. */
  attempt: number;
  /** Done with it: remove from the queue. */
  ack(): void;
  /** Hand it back for another worker (shutdown, lost capacity). */
  requeue(): void;
  /**
   * Aborted when the delivery can no longer be settled (its channel or
   * connection died): the broker will redeliver it, so the work is moot.
   */
  lost: AbortSignal;
}

/** A request the broker gave up on. */
export interface DeadLetter {
  id: string;
  type: string;
  session: string;
  /** RabbitMQ's reason: 'delivery_limit' (poison), 'expired' (deadline), 'rejected', … */
  reason: string;
  /** Deliveries to workers before it was dead-lettered. */
  deliveries: number;
  /** The request as it was published (payload, deadline, principal, traceparent), for inspection and replay. */
  request?: RequestMessage;
}

export interface Subscription {
  /**
   * True while the broker is delivering to it (false while it is being
   * re-made after a lost channel or connection). Absent = always.
   */
  active?(): boolean;
  /** Stops new deliveries; those already delivered can still be settled. */
  pause(): Promise<void>;
  /** Stops for good; anything unsettled goes back to the queue. */
  close(): Promise<void>;
}

export type BrokerStatus = 'connecting' | 'connected' | 'reconnecting' | 'closed';

export interface ReplySubscriptionOptions {
  /** Unsettled responses held for this session at most (backpressure). */
  prefetch: number;
  /**
   * The listener relays to a client that reads `dataJson` (capability
   * `data-bytes`): a large one-response reply may keep its data as the
   * worker's bytes (dataBytesOf), parsed only if read. AMQP only.
   */
  dataBytes?: boolean;
}

export interface ConsumeOptions {
  /** Deliveries in flight to this consumer at most. */
  prefetch: number;
}

/**
 * `bytes`: about how many bytes of the message body this response took (a
 * batch message's body shared out evenly), when the transport knows without
 * encoding it again; the gateway bounds its socket frames by it.
 */
export type ResponseListener = (response: Response, settle: () => void, bytes?: number) => void;

/** How a response is published: `fast` for a fast-lane request (non-persistent, unconfirmed, never returned). */
export interface PublishResponseOptions {
  fast?: boolean;
}

/** What a gateway's fast lane tells it (docs/decisions/0016-fast-lane.md). */
export interface FastLaneListener {
  /** A response to a fast request of `session`; nothing to settle (at-most-once). */
  response(session: string, response: Response, bytes?: number): void;
  /** The broker returned a fast request: no queue serves its type's fast lane. */
  returned(request: { session: string; id: string; type: string }): void;
}

/** A gateway's fast lane: one exclusive reply queue per process, requests written without confirms. */
export interface FastLane {
  /**
   * Writes the request to `ns.fast.<type>`: non-persistent, mandatory, not
   * confirmed. Resolves once written; a return comes later, to `returned`.
   * Rejects with BROKER_UNAVAILABLE when not connected.
   */
  publish(request: RequestMessage): Promise<void>;
  close(): Promise<void>;
}

/**
 * What became of a published response: `delivered` (a queue took it and the
 * broker confirmed it) or `unroutable` (no queue exists under its reply
 * address, so the broker returned it: the session's queue expired or is
 * not declared yet). Workers retry an unroutable one briefly (REPLY_RETRY).
 */
export type ResponseOutcome = 'delivered' | 'unroutable';

/**
 * The transport seam, by role. A gateway publishes requests and reads its
 * sessions' replies; a worker reads requests and publishes responses; both
 * take part in the service registry. Both implementations (amqp, memory) play
 * every role (Transport); code that plays one asks for that one.
 */
export interface BrokerConnection {
  readonly kind: 'amqp' | 'memory';
  status(): BrokerStatus;
  /** Called on every status change; returns an unsubscribe function. */
  onStatus(listener: (status: BrokerStatus) => void): () => void;
  close(): Promise<void>;
}

/** A retained call's options (docs/decisions/0014-retained-calls.md). */
export interface CallOptions {
  /** x-expires of the call queue: how long it outlives its last reader. Every gateway of a namespace must use the same. */
  retentionMs: number;
}

/** What a reader of a retained call is told. */
export interface CallListener {
  /**
   * One response, in order. Never settled: responses stay in the call queue
   * for the next reader, and return to it when this subscription closes.
   */
  response(response: Response): void;
  /** The call queue is gone (its retention passed, or it was deleted): nothing more will come. */
  gone(): void;
}

/** Ready messages and consumers of a request type's queue. */
export interface QueueDepth {
  ready: number;
  consumers: number;
}

/** The gateway's side of the seam. */
export interface GatewayTransport extends BrokerConnection {
  /**
   * Publishes a request, resolving once the broker has taken responsibility
   * for it. Rejects with NO_HANDLER when no queue serves the type, and with
   * BROKER_UNAVAILABLE when the broker cannot be reached.
   */
  publishRequest(request: RequestMessage): Promise<void>;
  /**
   * Reads a session's responses until closed; unsettled ones return to the
   * queue. The queue is declared first (quorum, x-expires): a session has
   * a queue, and so can be answered, from the first consume on.
   */
  consumeReplies(session: string, listener: ResponseListener, options: ReplySubscriptionOptions): Promise<Subscription>;
  /**
   * Sends a cancel to the live workers (`ns.control`) and appends it to the
   * cancel stream (`ns.cancels`) for workers that start later; resolves once
   * the broker confirmed both.
   */
  publishCancel(type: string, cancel: CancelMessage): Promise<void>;
  /**
   * Decides, under the call's lock, whether a keyed call is new: `new` when
   * its call queue did not exist (this caller declared it and must publish
   * the request), `existing` when it did (or the lock stayed taken for about
   * 2 s: another gateway is claiming it). Exactly one concurrent claimer,
   * through any gateway, gets `new`.
   */
  claimCall(call: string, options: CallOptions): Promise<'new' | 'existing'>;
  /** Whether the call is still retained (its queue exists). */
  callExists(call: string): Promise<boolean>;
  /** Deletes the call queue: publishing its request failed, so the key may be sent again. */
  dropCall(call: string): Promise<void>;
  /**
   * Reads a retained call's responses from its first one, as the one active
   * reader (a second reader waits until the first closes). Nothing is ever
   * acked: on close, every response returns to the queue, in order.
   */
  consumeCall(call: string, listener: CallListener): Promise<Subscription>;
  /** The request queue of `type` right now; undefined when it does not exist. */
  queueDepth(type: string): Promise<QueueDepth | undefined>;
  /** Requests dead-lettered by the broker, so their callers can be told. Gateways compete on them. */
  consumeDeadLetters(listener: (dead: DeadLetter, settle: () => void) => void): Promise<Subscription>;
  /** Opens this process's fast lane (once). Absent: the transport has none, and fast requests go the durable way. */
  openFastLane?(listener: FastLaneListener): Promise<FastLane>;
}

/** The worker's side of the seam (a gateway-local handler publishes responses through it too). */
export interface WorkerTransport extends BrokerConnection {
  /** Declares the type's queue and consumes from it, competing with other workers. */
  consumeRequests(type: string, listener: (delivery: RequestDelivery) => void, options: ConsumeOptions): Promise<Subscription>;
  /**
   * Resolves once the broker confirmed the response (`delivered`) or returned
   * it (`unroutable`); rejects with BROKER_UNAVAILABLE when neither happened.
   * `replyTo`: the request's own reply address, when it came with one (AMQP
   * reply_to); else the session's queue. The response may carry its data's
   * JSON text (DATA_JSON), which the body then reuses; it is never a field on the wire.
   */
  publishResponse(session: string, response: OutgoingResponse, replyTo?: string, options?: PublishResponseOptions): Promise<ResponseOutcome>;
  /**
   * Publishes consecutive responses of one request as one message; resolves
   * once the broker confirmed it. Only for requests whose `batchReplies` is
   * set; a transport without it makes workers publish one by one.
   */
  publishResponses?(session: string, responses: readonly OutgoingResponse[], replyTo?: string, options?: PublishResponseOptions): Promise<ResponseOutcome>;
  /**
   * Consumes the type's fast-lane queue (`ns.fast.<type>`, classic, declared
   * here): prefetch bounds the handlers running, each delivery is acked when
   * its run ends, and a redelivered one is dropped unrun (at-most-once: it
   * may have run). Deliveries have `request.fast` set. Absent: no fast lane.
   */
  consumeFastRequests?(type: string, listener: (delivery: RequestDelivery) => void, options: ConsumeOptions): Promise<Subscription>;
  /**
   * Every cancel for `types`: the live ones (`ns.control`) and, first, every
   * one kept in the cancel stream (`ns.cancels`, read from its start, and
   * again after a reconnect). Resolves once the stream was read up to this
   * call (the worker's own marker came back), or after
   * CANCEL_STREAM.markerWaitMs without it (logged): a worker consumes
   * requests only then, so it knows every cancel sent before it started.
   * A cancel can arrive more than once; `at` (epoch ms) is when it was sent,
   * when known.
   */
  consumeCancels(types: readonly string[], listener: CancelListener, options?: CancelConsumeOptions): Promise<Subscription>;
}

export type CancelListener = (cancel: CancelMessage, at?: number) => void;

export interface CancelConsumeOptions {
  /** Named in the start-up marker (the registry instance id), for whoever reads the stream. */
  instance?: string;
}

/** The service registry's side: workers announce, gateways listen. */
export interface RegistryTransport extends BrokerConnection {
  /**
   * Publishes an announcement or withdrawal on the registry exchange; every
   * consumer gets a copy. Resolves once the broker confirmed it. Not kept
   * for later readers: an announcement nobody reads is simply gone.
   */
  announce(message: Announcement): Promise<void>;
  /** Every registry message from now on, parsed; malformed ones are logged and dropped. */
  consumeAnnouncements(listener: (message: Announcement) => void): Promise<Subscription>;
}

/** Every role: what createAmqpTransport and memoryTransport make. */
export interface Transport extends GatewayTransport, WorkerTransport, RegistryTransport {}

/** Minimal structured logger both implementations accept (pino fits). */
export interface Log {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLog: Log = { debug() {}, info() {}, warn() {}, error() {} };
