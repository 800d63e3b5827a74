// Wire envelopes for both hops. Socket frames and AMQP bodies share the
// response envelope, so the gateway relays it without reshaping it.
import { z } from 'zod';
import { errorCodes, type ErrorCode } from './errors.ts';
import { REQUEST_ID_PATTERN, REQUEST_TYPE_PATTERN } from './topology.ts';

// Event names and the timeout ceiling live in events.ts, which does not import
// zod, so a browser bundle that needs them does not pull the schemas in.
import { MAX_TIMEOUT_MS } from './events.ts';
import { REQUESTS_FRAME, RESPONSES_FRAME } from './limits.ts';
export { EVENTS, MAX_TIMEOUT_MS } from './events.ts';
const requestId = z.string().min(1).max(128).regex(REQUEST_ID_PATTERN, 'use letters, digits, _ . : -');
const requestType = z.string().regex(REQUEST_TYPE_PATTERN, 'a letter, then up to 99 letters, digits, _ . -');

export const wireErrorSchema = z.object({
  code: z.enum(errorCodes as [ErrorCode, ...ErrorCode[]]),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});

export const requestFrameSchema = z.object({
  id: requestId,
  type: requestType,
  /** Any JSON value; absent means null. */
  payload: z
    .unknown()
    .optional()
    .transform((value) => (value === undefined ? null : value)),
  /** Relative budget; the gateway turns it into an absolute deadline. */
  timeoutMs: z.number().int().positive().max(MAX_TIMEOUT_MS).optional(),
  traceparent: z.string().max(128).optional(),
  /**
   * A retained call (packages/protocol/spec/v1/protocol.md, "Retained calls"): the caller's name
   * for it, unique per principal (or per session for anonymous callers).
   * The first request with a key runs; any later one with the same key,
   * through any gateway, attaches to that call instead of running it again.
   */
  key: requestId.optional(),
  /** With `key`: only attach to the retained call, never start one (EXPIRED when there is none). */
  attach: z.boolean().optional(),
  /**
   * The fast lane (docs/protocol.md, "The fast lane"): at-most-once, no
   * durability. Honoured when a live worker announced the type `fast`;
   * otherwise the request takes the durable path. Not with `key`.
   */
  fast: z.boolean().optional(),
});

/**
 * client → gateway `requests` (capability `request-batches`): request frames
 * in the order they were sent. Only the bounds refuse the frame whole; each
 * element is read as a `request` frame of its own (a bad one is refused in
 * its slot of the ack, the others run).
 */
export const requestsFrameSchema = z.array(requestFrameSchema).min(1).max(REQUESTS_FRAME.maxRequests);

export const cancelFrameSchema = z.object({ id: requestId, type: requestType });

/** Who picked an attempt up: on seq 0 of each attempt (docs/protocol.md, "Hops"). */
const workerHopSchema = z.object({
  instance: z.string().max(200),
  language: z.string().max(40),
  service: z.string().max(200).optional(),
  startedAt: z.number().optional(),
});
export type WorkerHop = z.infer<typeof workerHopSchema>;

const responseBase = {
  id: requestId,
  /** 0-based position of this message within its attempt. */
  seq: z.number().int().nonnegative(),
  /** 1 for the first delivery to a worker; higher after a redelivery. */
  attempt: z.number().int().positive(),
  /** On seq 0 of an attempt only: the worker that picked it up, and when (epoch ms, its clock). For hop timelines; optional. */
  worker: workerHopSchema.optional(),
};

export const responseSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('chunk'), ...responseBase, data: z.unknown() }),
  z.object({ kind: z.literal('result'), ...responseBase, data: z.unknown() }),
  z.object({ kind: z.literal('error'), ...responseBase, error: wireErrorSchema }),
]);

/** gateway → client `responses` (capability `response-batches`): envelopes in the order they were relayed. */
export const responsesFrameSchema = z.array(responseSchema).min(1).max(RESPONSES_FRAME.maxResponses);

export const ackSchema = z.union([
  /** `attached`: a keyed request found its call already running or retained, and now receives it (nothing new ran). */
  /**
   * `response` (capability `fast-answers`): a fast request's first response
   * envelope, carried by the ack instead of a frame. Read on its own, as a
   * `response` frame is: a malformed one is dropped, the ack still accepts.
   */
  /**
   * `seq` (capability `cumulative-acks`): the carried `response` is a durable
   * one, settled on the broker once the client acknowledged this seq.
   */
  z.object({ ok: z.literal(true), id: requestId, attached: z.boolean().optional(), response: z.unknown().optional(), seq: z.number().int().min(1).optional() }),
  z.object({ ok: z.literal(false), id: z.string().optional(), error: wireErrorSchema }),
]);

export const sessionFrameSchema = z.object({
  sessionId: z.string(),
  token: z.string(),
  /** The gateway's limits, so a client refuses an oversize payload before sending it (absent from older gateways). */
  limits: z.object({ maxPayloadBytes: z.number().int().positive() }).optional(),
  /**
   * What this gateway supports (names in capabilities.ts; absent from older
   * gateways: none). Any string: a newer gateway may list names a client
   * does not know, and the client must still read the frame.
   */
  capabilities: z.array(z.string()).optional(),
});

/** gateway → client: the call `id` waits in its queue with about `position` requests ahead of it (0: next). */
export const queuedFrameSchema = z.object({ id: requestId, position: z.number().int().nonnegative() });

export const cancelMessageSchema = z.object({ id: requestId, session: z.string() });
/**
 * A cancel as appended to the stream `ns.cancels`: the cancel message plus
 * the request `type` and the epoch-ms time `at` it was sent (both
 * informational; readers of the cancel message ignore them).
 */
export const cancelRecordSchema = cancelMessageSchema.extend({ type: requestType, at: z.number().int().nonnegative() });
/** A worker's start-up marker on `ns.cancels` (CANCEL_STREAM): reading its own back means it has read every older cancel. */
export const cancelMarkerSchema = z.object({ kind: z.literal('marker'), instance: z.string(), nonce: z.string() });

export type RequestFrame = z.infer<typeof requestFrameSchema>;
export type CancelFrame = z.infer<typeof cancelFrameSchema>;
export type Ack = z.infer<typeof ackSchema>;
export type SessionFrame = z.infer<typeof sessionFrameSchema>;
export type QueuedFrame = z.infer<typeof queuedFrameSchema>;
/** Cancel as it travels on the control exchange. */
export type CancelMessage = z.infer<typeof cancelMessageSchema>;
export type CancelRecord = z.infer<typeof cancelRecordSchema>;
export type CancelMarker = z.infer<typeof cancelMarkerSchema>;

/** One response envelope, as both hops carry it: the schema's own type. */
export type Response = z.infer<typeof responseSchema>;
export type ChunkResponse = Extract<Response, { kind: 'chunk' }>;
export type ResultResponse = Extract<Response, { kind: 'result' }>;
export type ErrorResponse = Extract<Response, { kind: 'error' }>;

/** A request is known by its session and the id the client chose: the key of every table of requests, in every component. */
export const requestKey = (session: string, id: string): string => `${session}\u0000${id}`;

export const isFinal = (response: Response): response is ResultResponse | ErrorResponse => response.kind !== 'chunk';
