// Parse once at each edge: everything past these functions is typed.
import type { z } from 'zod';
import type { WireError } from './errors.ts';
import { MAX_BODY_BYTES, MAX_BODY_DEPTH } from './limits.ts';
import { cancelFrameSchema, cancelMessageSchema, type CancelFrame, type CancelMessage } from './envelopes.ts';
import { announcementSchema, catalogueSchema, type Announcement, type Catalogue } from './registry.ts';

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: WireError };

export interface Issue {
  path: string;
  message: string;
}

/** A zod issue path as every Warren message names it: `history.2.role`, or `(root)`. */
export const issuePath = (path: readonly PropertyKey[]): string => (path.length === 0 ? '(root)' : path.map(String).join('.'));

export const formatIssues = (issues: readonly z.core.$ZodIssue[]): Issue[] => issues.map((issue) => ({ path: issuePath(issue.path), message: issue.message }));

/** A zod schema as a Parsed-returning parser (what the gateway and workers check with). */
export const schemaParser =
  <T>(schema: z.ZodType<T>, what: string) =>
  (value: unknown): Parsed<T> => {
    const result = schema.safeParse(value);
    if (result.success) return { ok: true, value: result.data };
    const issues = formatIssues(result.error.issues);
    const summary = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
    return { ok: false, error: { code: 'INVALID_REQUEST', message: `Invalid ${what}: ${summary}`, details: { issues } } };
  };

// One per request on the gateway's hot path: parsed without zod, to the same verdicts (request-frame.ts).
export { parseRequestFrame } from './request-frame.ts';
export const parseCancelFrame: (value: unknown) => Parsed<CancelFrame> = schemaParser(cancelFrameSchema, 'cancel');
// What a client receives is parsed without zod (frames.ts), so a browser
// bundle does not carry it.
export { parseAck, parseQueuedFrame, parseRegistryAck, parseResponse, parseResponsesFrame, parseSessionFrame } from './frames.ts';
export const parseCancelMessage: (value: unknown) => Parsed<CancelMessage> = schemaParser(cancelMessageSchema, 'cancel');

export const parseAnnouncement: (value: unknown) => Parsed<Announcement> = schemaParser(announcementSchema, 'registry announcement');
export const parseCatalogue: (value: unknown) => Parsed<Catalogue> = schemaParser(catalogueSchema, 'registry catalogue');

/** One decoder for every body: made per call it was 0.2 % of the gateway's profile (issue 16); decode without `stream` keeps no state. */
const utf8 = new TextDecoder();

/** Parses JSON text (or bytes) without throwing. */
export const parseJson = (raw: string | Uint8Array): Parsed<unknown> => {
  try {
    const text = typeof raw === 'string' ? raw : utf8.decode(raw);
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, error: { code: 'INVALID_REQUEST', message: `Body is not JSON: ${(error as Error).message}` } };
  }
};

/**
 * How deeply arrays and objects nest in JSON text (a scalar is 0, `[]` is 1),
 * counted without parsing, so over-deep input can be refused before anything
 * recursive touches it. Stops counting once past `stopAfter`.
 *
 * A string's contents are skipped with indexOf (native) rather than char by
 * char: a 1 MB string payload took 4–6 ms here, on every request through the
 * gateway and again in the worker (issue 16). The result is the same: a
 * quote ends the string when an even number of backslashes precede it.
 */
export const jsonDepth = (text: string, stopAfter = Infinity): number => {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      for (;;) {
        const close = text.indexOf('"', i + 1);
        if (close < 0) return deepest; // unterminated: the rest is inside the string
        let backslashes = 0;
        while (text.charCodeAt(close - 1 - backslashes) === 92 /* \ */) backslashes++;
        i = close;
        if (backslashes % 2 === 0) break;
      }
    } else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > deepest && (deepest = depth) > stopAfter) return deepest;
    } else if (c === 93 /* ] */ || c === 125 /* } */) depth--;
  }
  return deepest;
};

/**
 * A request body as a worker reads it: refused with INVALID_REQUEST (never a
 * throw) when larger than MAX_BODY_BYTES, nested deeper than MAX_BODY_DEPTH,
 * or not JSON. Python's wire.decode_request applies the same limits.
 */
export const parseRequestBody = (raw: string | Uint8Array): Parsed<unknown> => {
  const bytes = typeof raw === 'string' ? new TextEncoder().encode(raw).byteLength : raw.byteLength;
  if (bytes > MAX_BODY_BYTES) {
    return { ok: false, error: { code: 'INVALID_REQUEST', message: `Body is ${bytes} bytes; a request body may have at most ${MAX_BODY_BYTES}.` } };
  }
  const text = typeof raw === 'string' ? raw : utf8.decode(raw);
  if (jsonDepth(text, MAX_BODY_DEPTH) > MAX_BODY_DEPTH) {
    return { ok: false, error: { code: 'INVALID_REQUEST', message: `Body nests arrays/objects deeper than ${MAX_BODY_DEPTH} levels.` } };
  }
  return parseJson(text);
};
