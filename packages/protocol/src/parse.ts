// Parse once at each edge: everything past these functions is typed.
import type { z } from 'zod';
import type { WireError } from './errors.ts';
import {
  ackSchema,
  cancelFrameSchema,
  cancelMessageSchema,
  requestFrameSchema,
  responseSchema,
  sessionFrameSchema,
  type Ack,
  type CancelFrame,
  type CancelMessage,
  type RequestFrame,
  type Response,
  type SessionFrame,
} from './envelopes.ts';
import { announcementSchema, catalogueSchema, registryAckSchema, type Announcement, type Catalogue, type RegistryAck } from './registry.ts';

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: WireError };

export interface Issue {
  path: string;
  message: string;
}

export const formatIssues = (issues: readonly z.core.$ZodIssue[]): Issue[] =>
  issues.map((issue) => ({
    path: issue.path.length === 0 ? '(root)' : issue.path.map(String).join('.'),
    message: issue.message,
  }));

const parser =
  <T>(schema: z.ZodType<T>, what: string) =>
  (value: unknown): Parsed<T> => {
    const result = schema.safeParse(value);
    if (result.success) return { ok: true, value: result.data };
    const issues = formatIssues(result.error.issues);
    const summary = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
    return { ok: false, error: { code: 'INVALID_REQUEST', message: `Invalid ${what}: ${summary}`, details: { issues } } };
  };

export const parseRequestFrame: (value: unknown) => Parsed<RequestFrame> = parser(requestFrameSchema, 'request');
export const parseCancelFrame: (value: unknown) => Parsed<CancelFrame> = parser(cancelFrameSchema, 'cancel');
export const parseResponse: (value: unknown) => Parsed<Response> = parser(
  responseSchema as unknown as z.ZodType<Response>,
  'response',
);
export const parseAck: (value: unknown) => Parsed<Ack> = parser(ackSchema, 'ack');
export const parseSessionFrame: (value: unknown) => Parsed<SessionFrame> = parser(sessionFrameSchema, 'session');
export const parseCancelMessage: (value: unknown) => Parsed<CancelMessage> = parser(cancelMessageSchema, 'cancel');

export const parseAnnouncement: (value: unknown) => Parsed<Announcement> = parser(announcementSchema, 'registry announcement');
export const parseCatalogue: (value: unknown) => Parsed<Catalogue> = parser(catalogueSchema, 'registry catalogue');
export const parseRegistryAck: (value: unknown) => Parsed<RegistryAck> = parser(registryAckSchema, 'registry ack');

/** Parses JSON text (or bytes) without throwing. */
export const parseJson = (raw: string | Uint8Array): Parsed<unknown> => {
  try {
    const text = typeof raw === 'string' ? raw : new TextDecoder().decode(raw);
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, error: { code: 'INVALID_REQUEST', message: `Body is not JSON: ${(error as Error).message}` } };
  }
};
