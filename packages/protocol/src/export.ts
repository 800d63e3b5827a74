// The JSON facts other languages read (python/ and any future SDK).
import { z } from 'zod';
import { CAPABILITIES } from './capabilities.ts';
import { ERROR_CODES } from './errors.ts';
import {
  ackSchema,
  cancelFrameSchema,
  cancelMarkerSchema,
  cancelMessageSchema,
  cancelRecordSchema,
  EVENTS,
  MAX_TIMEOUT_MS,
  requestFrameSchema,
  responseSchema,
  responsesFrameSchema,
  requestsFrameSchema,
  queuedFrameSchema,
  sessionFrameSchema,
  wireErrorSchema,
} from './envelopes.ts';
import {
  CALL_RETENTION,
  CANCEL_STREAM,
  CANCEL_STREAM_ARGUMENTS,
  DEFAULT_NAMESPACE,
  HEADERS,
  MESSAGE_TYPES,
  namesUnder,
  NAMESPACE_PATTERN,
  PROTOCOL_VERSION,
  REPLY_QUEUE_EXPIRES_MS,
  REPLY_RETRY,
  REQUEST_QUEUE_DELIVERY_LIMIT,
  REQUEST_ID_PATTERN,
  REQUEST_TYPE_PATTERN,
} from './topology.ts';
import { ACK_DELAY_MS, ACK_HOLD_MS, FAST_ACK_HOLD_MS, LIMITS, REQUESTS_FRAME, RESPONSES_FRAME } from './limits.ts';
import { announcementSchema, catalogueSchema, REGISTRY_DEFAULTS } from './registry.ts';

export const exportJson = (): Record<string, unknown> => {
  // The same code that names queues in TypeScript renders the templates.
  const names = namesUnder('{ns}');
  return {
    'errors.json': ERROR_CODES,
    'topology.json': {
      protocolVersion: PROTOCOL_VERSION,
      defaultNamespace: DEFAULT_NAMESPACE,
      namespacePattern: NAMESPACE_PATTERN.source,
      requestTypePattern: REQUEST_TYPE_PATTERN.source,
      requestIdPattern: REQUEST_ID_PATTERN.source,
      maxTimeoutMs: MAX_TIMEOUT_MS,
      // Names are templates: replace {ns}, {type}, {session}.
      names: {
        requestsExchange: names.requestsExchange,
        controlExchange: names.controlExchange,
        registryExchange: names.registryExchange,
        deadLetterExchange: names.deadLetterExchange,
        deadLetterQueue: names.deadLetterQueue,
        requestQueue: names.requestQueue('{type}'),
        fastQueue: names.fastQueue('{type}'),
        replyQueue: names.replyQueue('{session}'),
        callQueue: names.callQueue('{call}'),
        callLock: names.callLock('{call}'),
        cancelStream: names.cancelStream,
      },
      requestQueueArguments: names.requestQueueArguments(),
      fastQueueArguments: names.fastQueueArguments(),
      replyQueueArguments: names.replyQueueArguments(),
      deadLetterQueueArguments: names.deadLetterQueueArguments(),
      callQueueArguments: names.callQueueArguments(),
      cancelStreamArguments: CANCEL_STREAM_ARGUMENTS,
      cancelStreamReading: CANCEL_STREAM,
      callRetention: CALL_RETENTION,
      requestQueueDeliveryLimit: REQUEST_QUEUE_DELIVERY_LIMIT,
      replyQueueExpiresMs: REPLY_QUEUE_EXPIRES_MS,
      replyRetry: REPLY_RETRY,
      headers: HEADERS,
      messageTypes: MESSAGE_TYPES,
      events: EVENTS,
      // Names a gateway lists in its session frame's `capabilities`.
      capabilities: CAPABILITIES,
      // Registry timing defaults; each announcement carries its own values.
      registry: REGISTRY_DEFAULTS,
      // Payload limits every SDK applies alike (see limits.ts).
      limits: LIMITS,
      // Bounds of a `responses` frame (capability response-batches).
      responsesFrame: RESPONSES_FRAME,
      // Bounds of a `requests` frame (capability request-batches).
      requestsFrame: REQUESTS_FRAME,
      // How long a fast request's ack may wait for its first response (capability fast-answers).
      fastAckHoldMs: FAST_ACK_HOLD_MS,
      // How long a durable request's ack (or a fast one's in a requests frame) may wait for its first response (capability cumulative-acks).
      ackHoldMs: ACK_HOLD_MS,
      // How long a client waits for a request frame to carry its response acks (capability cumulative-acks).
      ackDelayMs: ACK_DELAY_MS,
    },
    'schemas.json': {
      wireError: z.toJSONSchema(wireErrorSchema),
      requestFrame: z.toJSONSchema(requestFrameSchema, { io: 'input' }),
      cancelFrame: z.toJSONSchema(cancelFrameSchema),
      response: z.toJSONSchema(responseSchema),
      responsesFrame: z.toJSONSchema(responsesFrameSchema),
      requestsFrame: z.toJSONSchema(requestsFrameSchema, { io: 'input' }),
      ack: z.toJSONSchema(ackSchema),
      sessionFrame: z.toJSONSchema(sessionFrameSchema),
      queuedFrame: z.toJSONSchema(queuedFrameSchema),
      cancelMessage: z.toJSONSchema(cancelMessageSchema),
      cancelRecord: z.toJSONSchema(cancelRecordSchema),
      cancelMarker: z.toJSONSchema(cancelMarkerSchema),
      // Input form: receivers ignore fields they do not know (newer SDKs).
      announcement: z.toJSONSchema(announcementSchema, { io: 'input' }),
      registryCatalogue: z.toJSONSchema(catalogueSchema, { io: 'input' }),
    },
  };
};

export const renderJson = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
