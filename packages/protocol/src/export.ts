// The JSON facts other languages read (python/ and any future SDK).
import { z } from 'zod';
import { ERROR_CODES } from './errors.ts';
import {
  ackSchema,
  cancelFrameSchema,
  cancelMessageSchema,
  EVENTS,
  MAX_TIMEOUT_MS,
  requestFrameSchema,
  responseSchema,
  sessionFrameSchema,
  wireErrorSchema,
} from './envelopes.ts';
import {
  HEADERS,
  NAMESPACE_PATTERN,
  PROTOCOL_VERSION,
  REPLY_QUEUE_EXPIRES_MS,
  REPLY_RETRY,
  REQUEST_QUEUE_DELIVERY_LIMIT,
  REQUEST_TYPE_PATTERN,
  topology,
} from './topology.ts';
import { LIMITS } from './limits.ts';
import { announcementSchema, catalogueSchema, REGISTRY_DEFAULTS } from './registry.ts';

export const exportJson = (): Record<string, unknown> => {
  const sample = topology('NS'.toLowerCase());
  return {
    'errors.json': ERROR_CODES,
    'topology.json': {
      protocolVersion: PROTOCOL_VERSION,
      defaultNamespace: 'warren',
      namespacePattern: NAMESPACE_PATTERN.source,
      requestTypePattern: REQUEST_TYPE_PATTERN.source,
      maxTimeoutMs: MAX_TIMEOUT_MS,
      // Names are templates: replace {ns}, {type}, {session}.
      names: {
        requestsExchange: '{ns}.requests',
        controlExchange: '{ns}.control',
        registryExchange: '{ns}.registry',
        deadLetterExchange: '{ns}.dead',
        deadLetterQueue: '{ns}.dead',
        requestQueue: '{ns}.req.{type}',
        replyQueue: '{ns}.reply.{session}',
      },
      requestQueueArguments: { ...sample.requestQueueArguments(), 'x-dead-letter-exchange': '{ns}.dead' },
      replyQueueArguments: sample.replyQueueArguments(),
      deadLetterQueueArguments: sample.deadLetterQueueArguments(),
      requestQueueDeliveryLimit: REQUEST_QUEUE_DELIVERY_LIMIT,
      replyQueueExpiresMs: REPLY_QUEUE_EXPIRES_MS,
      replyRetry: REPLY_RETRY,
      headers: HEADERS,
      events: EVENTS,
      // Registry timing defaults; each announcement carries its own values.
      registry: REGISTRY_DEFAULTS,
      // Payload limits every SDK applies alike (see limits.ts).
      limits: LIMITS,
    },
    'schemas.json': {
      wireError: z.toJSONSchema(wireErrorSchema),
      requestFrame: z.toJSONSchema(requestFrameSchema, { io: 'input' }),
      cancelFrame: z.toJSONSchema(cancelFrameSchema),
      response: z.toJSONSchema(responseSchema),
      ack: z.toJSONSchema(ackSchema),
      sessionFrame: z.toJSONSchema(sessionFrameSchema),
      cancelMessage: z.toJSONSchema(cancelMessageSchema),
      // Input form: receivers ignore fields they do not know (newer SDKs).
      announcement: z.toJSONSchema(announcementSchema, { io: 'input' }),
      registryCatalogue: z.toJSONSchema(catalogueSchema, { io: 'input' }),
    },
  };
};

export const renderJson = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
