// Request messages ⇄ AMQP properties, as laid down in packages/protocol/spec/v1/protocol.md.
import type { ConsumeMessage, Options } from 'amqplib';
import {
  HEADERS,
  MESSAGE_TYPES,
  PROTOCOL_VERSION,
  REQUEST_QUEUE_DELIVERY_LIMIT,
  parseJson,
  parseRequestBody,
  parseResponse,
  type Parsed,
  type Principal,
  type Response,
  type Topology,
  type WireError,
} from '@warren/protocol';
import type { DeadLetter, RequestMessage } from '../types.ts';
import { responseBody, responsePayload, responsesBody, responsesPayload, type OutgoingResponse } from '../response-json.ts';

/**
 * `fastReplyTo`: a fast-lane request (decision 0016) answered on that queue,
 * in batches, and published non-persistent — given here rather than by
 * copying the request and the properties, two spreads per fast request.
 */
export const encodeRequest = (
  topo: Topology,
  request: RequestMessage,
  now = Date.now(),
  fastReplyTo?: string,
  batchReplies = request.batchReplies === true,
): { body: Buffer; properties: Options.Publish } => {
  const headers: Record<string, unknown> = {
    [HEADERS.version]: PROTOCOL_VERSION,
    [HEADERS.session]: request.session,
  };
  if (request.deadline !== undefined) headers[HEADERS.deadline] = request.deadline;
  if (request.principal !== undefined) headers[HEADERS.principal] = JSON.stringify(request.principal);
  if (request.traceparent !== undefined) headers[HEADERS.traceparent] = request.traceparent;
  if (batchReplies || fastReplyTo !== undefined) headers[HEADERS.batch] = 1;
  const properties: Options.Publish = {
    contentType: 'application/json',
    persistent: fastReplyTo === undefined,
    mandatory: true,
    correlationId: request.id,
    // A retained call's request names its call queue (decision 0014); any other, its session's.
    replyTo: fastReplyTo ?? request.replyTo ?? topo.replyQueue(request.session),
    type: request.type,
    timestamp: Math.floor(now / 1000),
    headers,
  };
  // Expiration makes RabbitMQ drop a request nobody picked up in time.
  if (request.deadline !== undefined) properties.expiration = String(Math.max(1, request.deadline - now));
  return { body: Buffer.from(request.payloadJson ?? JSON.stringify(request.payload ?? null)), properties };
};

const asNumber = (value: unknown): number | undefined => {
  const n = typeof value === 'bigint' ? Number(value) : typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
};

/**
 * attempt = x-delivery-count + 1; a redelivery without the header counts as 2.
 * attempt is a positive integer on the wire: a count that is not a whole
 * number of deliveries (negative, fractional) must not make it 0 or 2.5.
 */
const attemptOf = (message: ConsumeMessage): number => {
  const count = asNumber(message.properties.headers?.[HEADERS.deliveryCount]);
  return count !== undefined && count >= 0 ? Math.trunc(count) + 1 : message.fields.redelivered ? 2 : 1;
};

interface DecodedRequest {
  request: RequestMessage;
  attempt: number;
}

/** The server-named queues RabbitMQ makes: a fast request's reply_to is one (the gateway's own). */
const SERVER_NAMED = 'amq.gen-';

/**
 * A topology's reply and call queue prefixes, made once: built per message
 * they were fresh (rope) strings that startsWith had to flatten, ≈ 2 % of a
 * fast worker's samples (decision 0019, sixth round).
 */
const prefixes = new WeakMap<Topology, { reply: string; call: string }>();
const prefixesOf = (topo: Topology) => {
  let known = prefixes.get(topo);
  if (known === undefined) {
    known = { reply: topo.replyQueue(''), call: topo.callQueue('') };
    prefixes.set(topo, known);
  }
  return known;
};

export const decodeRequest = (topo: Topology, message: ConsumeMessage, { fast = false } = {}): Parsed<DecodedRequest> => {
  const { properties, fields, content } = message;
  const headers = (properties.headers ?? {}) as Record<string, unknown>;
  const id = properties.correlationId;
  const replyTo = properties.replyTo;
  const { reply: prefix, call: callPrefix } = prefixesOf(topo);
  const sessionHeader = headers[HEADERS.session];
  // A session's reply queue, or a retained call's own queue; a fast request's: its gateway's, with the session in a header.
  const warrenReplyTo =
    typeof replyTo === 'string' &&
    (fast ? replyTo.startsWith(SERVER_NAMED) && typeof sessionHeader === 'string' : replyTo.startsWith(prefix) || replyTo.startsWith(callPrefix));
  if (typeof id !== 'string' || id === '' || typeof replyTo !== 'string' || !warrenReplyTo) {
    return { ok: false, error: { code: 'INVALID_REQUEST', message: 'Message lacks correlation_id or a Warren reply_to.' } };
  }
  // Size and depth limits first: an over-deep body must not reach a recursive parser or schema check.
  const body = parseRequestBody(content);
  if (!body.ok) return body;
  // Without the header: the queue's own id (a retained call's session is its call id).
  const session =
    typeof sessionHeader === 'string' ? sessionHeader : replyTo.startsWith(prefix) ? replyTo.slice(prefix.length) : replyTo.slice(callPrefix.length);
  const request: RequestMessage = {
    id,
    type: typeof properties.type === 'string' && properties.type !== '' ? properties.type : fields.routingKey,
    payload: body.value,
    session,
    replyTo,
  };
  if (fast) request.fast = true;
  const deadline = asNumber(headers[HEADERS.deadline]);
  if (deadline !== undefined) request.deadline = deadline;
  const principal = headers[HEADERS.principal];
  if (typeof principal === 'string') {
    const parsed = parseJson(principal);
    // The principal is a JSON object (packages/protocol/spec/v1/protocol.md); an array is no principal either.
    if (parsed.ok && parsed.value !== null && typeof parsed.value === 'object' && !Array.isArray(parsed.value)) {
      request.principal = parsed.value as Principal;
    }
  }
  const traceparent = headers[HEADERS.traceparent];
  if (typeof traceparent === 'string') request.traceparent = traceparent;
  if (asNumber(headers[HEADERS.batch]) === 1) request.batchReplies = true;
  return { ok: true, value: { request, attempt: attemptOf(message) } };
};

/**
 * The INVALID_REQUEST answer to a request that cannot be decoded (packages/protocol/spec/v1/protocol.md,
 * worker behaviour 3), or null when it names no reply_to or id to answer to.
 */
export const encodeRefusal = (message: ConsumeMessage, error: WireError): { replyTo: string; body: Buffer; properties: Options.Publish } | null => {
  const { correlationId: id, replyTo } = message.properties;
  if (typeof id !== 'string' || id === '' || typeof replyTo !== 'string' || replyTo === '') return null;
  return { replyTo, ...encodeResponse({ kind: 'error', id, seq: 0, attempt: attemptOf(message), error: { code: 'INVALID_REQUEST', message: error.message } }) };
};

/**
 * A response message's properties. A fast response names its session (the
 * gateway's one reply queue serves them all) and is not persisted. Written
 * out per case rather than spread from a second object: one object per
 * published response, not three (issue 16).
 */
const responseProperties = (correlationId: string | undefined, type: string, fastSession: string | undefined): Options.Publish =>
  fastSession === undefined
    ? { contentType: 'application/json', persistent: true, correlationId, type }
    : { contentType: 'application/json', persistent: false, headers: { [HEADERS.session]: fastSession }, correlationId, type };

/** The body is JSON.stringify(response), reusing the text of its data when the worker carried it (DATA_JSON). */
export const encodeResponse = (response: OutgoingResponse, fastSession?: string): { body: Buffer; properties: Options.Publish } => ({
  body: responseBody(response),
  properties: responseProperties(response.id, response.kind, fastSession),
});

export const encodeResponses = (responses: readonly OutgoingResponse[], fastSession?: string): { body: Buffer; properties: Options.Publish } => ({
  body: responsesBody(responses),
  properties: responseProperties(responses[0]?.id, MESSAGE_TYPES.batch, fastSession),
});

/**
 * A response as the transport publishes it: its body stays text when small
 * (responsePayload), which the frame encoder writes as UTF-8 without a
 * Buffer of its own (decision 0019 for the fast channel; the confirm
 * channel's durable responses too, issue 16). The same bytes on the wire.
 * `fastSession` as for encodeResponse.
 */
export const encodeResponsePayload = (response: OutgoingResponse, fastSession?: string): { body: Buffer | string; properties: Options.Publish } => ({
  body: responsePayload(response),
  properties: responseProperties(response.id, response.kind, fastSession),
});

export const encodeResponsesPayload = (
  responses: readonly OutgoingResponse[],
  fastSession?: string,
): { body: Buffer | string; properties: Options.Publish } => ({
  body: responsesPayload(responses),
  properties: responseProperties(responses[0]?.id, MESSAGE_TYPES.batch, fastSession),
});

/** A reply message as the responses it carries, in order: one, or a batch's. Malformed entries are reported, not returned. */
export const decodeResponses = (message: ConsumeMessage): { responses: Response[]; errors: string[] } => {
  const body = parseJson(message.content);
  if (!body.ok) return { responses: [], errors: [body.error.message] };
  const items = message.properties.type === MESSAGE_TYPES.batch && Array.isArray(body.value) ? body.value : [body.value];
  const responses: Response[] = [];
  const errors: string[] = [];
  for (const item of items) {
    const parsed = parseResponse(item);
    if (parsed.ok) responses.push(parsed.value);
    else errors.push(parsed.error.message);
  }
  return { responses, errors };
};

/** Reads a request RabbitMQ dead-lettered; null when it is not a Warren request. */
export const decodeDeadLetter = (topo: Topology, message: ConsumeMessage): DeadLetter | null => {
  const decoded = decodeRequest(topo, message);
  if (!decoded.ok) return null;
  const headers = (message.properties.headers ?? {}) as Record<string, unknown>;
  const deaths = Array.isArray(headers['x-death']) ? (headers['x-death'] as Record<string, unknown>[]) : [];
  const reason = String(headers['x-first-death-reason'] ?? deaths[0]?.reason ?? 'unknown');
  // RabbitMQ drops x-delivery-count when it dead-letters; a delivery-limit
  // death means the limit was exceeded, i.e. limit + 1 deliveries.
  const count = asNumber(headers[HEADERS.deliveryCount]);
  const deliveries = count ?? (reason === 'delivery_limit' ? REQUEST_QUEUE_DELIVERY_LIMIT + 1 : decoded.value.attempt - 1);
  return {
    id: decoded.value.request.id,
    type: decoded.value.request.type,
    session: decoded.value.request.session,
    reason,
    deliveries,
    request: decoded.value.request,
  };
};
