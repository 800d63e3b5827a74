// A response's body text, reusing the JSON text of its data when the worker
// already has it (its JSON check made it): one stringify of the data per
// response, not two (docs/decisions/0015-hot-path-costs.md, "1 MB payloads").
import type { Response } from '@warren/protocol';

/**
 * The key under which a published response may carry JSON.stringify(data).
 * A symbol: JSON.stringify skips it, so the text can never reach the wire
 * (or a socket, or a memory-transport copy) as a field of the envelope.
 * Symbol.for: the same key even if two copies of this package are loaded.
 */
export const DATA_JSON: unique symbol = Symbol.for('warren.response.dataJson') as never;

/** A response as a worker hands it to publishResponse(s): the wire envelope, perhaps with its data's text. */
export type OutgoingResponse = Response & { [DATA_JSON]?: string };

/**
 * Below this many characters of data text, stringifying the whole envelope
 * again costs less than splitting it around the text (measured: a 100-byte
 * result took 2–3x longer spliced, or with the text attached).
 */
const SPLICE_FROM = 1024;

/**
 * `response` carrying `json`, which must be JSON.stringify(response.data);
 * `response` itself when there is none or it is too short to be worth
 * splicing (a symbol key on a small envelope slows its stringify down).
 */
export const withDataJson = <R extends Response>(response: R, json: string | undefined): R & { [DATA_JSON]?: string } =>
  json === undefined || json.length < SPLICE_FROM ? response : { ...response, [DATA_JSON]: json };

/**
 * The text of JSON.stringify(response) as consecutive pieces, appended to
 * `out`: the whole envelope stringified when there is no text worth
 * splicing; else the keys before `data` and those after it stringified as
 * two small objects (in their own order, as JSON.stringify would), around
 * the carried text of `data`.
 */
const appendPieces = (response: OutgoingResponse, out: string[]): void => {
  const dataJson = response[DATA_JSON];
  if (dataJson === undefined || dataJson.length < SPLICE_FROM || !('data' in response) || response.data === undefined) {
    out.push(JSON.stringify(response));
    return;
  }
  const head: Record<string, unknown> = {};
  const tail: Record<string, unknown> = {};
  let side = head;
  for (const [key, value] of Object.entries(response)) {
    if (key === 'data') side = tail;
    else side[key] = value;
  }
  const before = JSON.stringify(head);
  const after = JSON.stringify(tail);
  // '{}' when no key has JSON on that side; else '{…}' whose braces are dropped.
  out.push(`${before === '{}' ? '{' : `${before.slice(0, -1)},`}"data":`, dataJson, after === '{}' ? '}' : `,${after.slice(1)}`);
};

/**
 * The pieces' UTF-8, written into one buffer: joining them into one string
 * first would copy the long text once more (and Bun's Buffer.from of a
 * joined string measured slower than a second stringify).
 */
const bufferOf = (pieces: readonly string[]): Buffer => {
  if (pieces.length === 1) return Buffer.from(pieces[0]!);
  let size = 0;
  for (const piece of pieces) size += Buffer.byteLength(piece);
  const buffer = Buffer.allocUnsafe(size);
  let at = 0;
  for (const piece of pieces) at += buffer.write(piece, at);
  return buffer;
};

/**
 * JSON.stringify(response) as text when it is one piece (no carried data
 * text worth splicing: a small answer), else its UTF-8 with the text
 * spliced in. Text is what the fast channel writes straight into its frames.
 */
export const responsePayload = (response: OutgoingResponse): Buffer | string => {
  const pieces: string[] = [];
  appendPieces(response, pieces);
  return pieces.length === 1 ? pieces[0]! : bufferOf(pieces);
};

/** The UTF-8 of JSON.stringify(response), byte for byte, with the carried data text spliced in. */
export const responseBody = (response: OutgoingResponse): Buffer => {
  const payload = responsePayload(response);
  return typeof payload === 'string' ? Buffer.from(payload) : payload;
};

/** responsePayload's counterpart for a batch: its text when nothing in it carries data text worth splicing. */
export const responsesPayload = (responses: readonly OutgoingResponse[]): Buffer | string =>
  responses.some((response) => (response[DATA_JSON]?.length ?? 0) >= SPLICE_FROM) ? splicedBatch(responses) : JSON.stringify(responses);

/** The UTF-8 of JSON.stringify(responses), byte for byte; a batch without carried text is stringified whole, as before. */
export const responsesBody = (responses: readonly OutgoingResponse[]): Buffer => {
  const payload = responsesPayload(responses);
  return typeof payload === 'string' ? Buffer.from(payload) : payload;
};

const splicedBatch = (responses: readonly OutgoingResponse[]): Buffer => {
  const pieces = ['['];
  responses.forEach((response, i) => {
    if (i > 0) pieces.push(',');
    appendPieces(response, pieces);
  });
  pieces.push(']');
  return bufferOf(pieces);
};
