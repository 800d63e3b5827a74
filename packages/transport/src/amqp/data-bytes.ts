// A large reply's data kept as the worker's bytes (capability `data-bytes`,
// decision 0017): for a client that asked, the gateway relays them as a
// binary attachment instead of decoding, parsing and re-encoding a megabyte
// nobody reads. The envelope around them is parsed and checked as before;
// the data is parsed only when something reads it (a plugin), and from then
// on the response is relayed as JSON again.
import { parseJson, parseResponse, type Response } from '@warren/protocol';

/**
 * A reply message at least this large keeps its data as bytes. Below it the
 * passes saved are smaller than the second WebSocket frame a binary
 * attachment costs, and RESPONSES_FRAME.maxBytes: a response this large
 * goes alone in its frame anyway.
 */
export const DATA_BYTES_FROM = 64 * 1024;

const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;

const isSpace = (c: number | undefined) => c === 32 || c === 10 || c === 13 || c === 9;
const skipSpace = (b: Uint8Array, i: number): number => {
  while (isSpace(b[i])) i++;
  return i;
};

/** Just past the string whose opening quote is at `i`, or -1: a quote ends it when an even number of backslashes precede it. */
const stringEnd = (b: Buffer, i: number): number => {
  for (let from = i + 1; ; ) {
    const close = b.indexOf(QUOTE, from);
    if (close < 0) return -1;
    let backslashes = 0;
    while (b[close - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return close + 1;
    from = close + 1;
  }
};

/**
 * Just past the JSON value that starts at `i`, or -1. Strings are skipped
 * with indexOf (native); brackets must match in kind, so the value's bounds
 * are the ones a parser would find. Scalars and separators are not checked:
 * the client's JSON.parse refuses bytes that are not one JSON value.
 */
const valueEnd = (b: Buffer, i: number): number => {
  const first = b[i];
  if (first === QUOTE) return stringEnd(b, i);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    const open: number[] = [];
    for (let j = i; j < b.length; j++) {
      const c = b[j];
      if (c === QUOTE) {
        j = stringEnd(b, j);
        if (j < 0) return -1;
        j--;
      } else if (c === OPEN_BRACE) open.push(CLOSE_BRACE);
      else if (c === OPEN_BRACKET) open.push(CLOSE_BRACKET);
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        if (open.pop() !== c) return -1;
        if (open.length === 0) return j + 1;
      }
    }
    return -1;
  }
  let j = i;
  for (let c = b[j]; c !== undefined && !isSpace(c) && c !== COMMA && c !== CLOSE_BRACE && c !== CLOSE_BRACKET && c !== COLON; c = b[++j]);
  return j > i ? j : -1;
};

/**
 * [start, end) of the `data` value of a body that is one JSON object, or
 * undefined: no `data` key, two of them, a key written with an escape (a
 * parser could read it as `data`), or a body not shaped as one object.
 */
export const locateData = (b: Buffer): [number, number] | undefined => {
  let i = skipSpace(b, 0);
  if (b[i] !== OPEN_BRACE) return undefined;
  i = skipSpace(b, i + 1);
  let found: [number, number] | undefined;
  for (;;) {
    if (b[i] !== QUOTE) return undefined;
    const keyEnd = stringEnd(b, i);
    if (keyEnd < 0) return undefined;
    if (b.subarray(i, keyEnd).includes(BACKSLASH)) return undefined;
    const isData = keyEnd - i === 6 && b.toString('latin1', i + 1, keyEnd - 1) === 'data';
    i = skipSpace(b, keyEnd);
    if (b[i] !== COLON) return undefined;
    const start = skipSpace(b, i + 1);
    const end = valueEnd(b, start);
    if (end < 0) return undefined;
    if (isData) {
      if (found !== undefined) return undefined;
      found = [start, end];
    }
    i = skipSpace(b, end);
    if (b[i] === COMMA) {
      i = skipSpace(b, i + 1);
      continue;
    }
    if (b[i] !== CLOSE_BRACE) return undefined;
    return skipSpace(b, i + 1) === b.length ? found : undefined;
  }
};

// The bytes of a response's data while nobody has read or replaced it.
const pristine = new WeakMap<object, Uint8Array>();

/**
 * The worker's bytes of `response.data` (the UTF-8 of its JSON text), when
 * the transport kept them (decodeWithDataBytes) and nothing has read or
 * replaced `data` since; else undefined.
 */
export const dataBytesOf = (response: Response): Uint8Array | undefined => pristine.get(response);

/**
 * A one-response reply whose data is left unparsed: the envelope around it
 * parsed and checked as decodeResponses would, `data` an accessor that parses
 * the bytes when read (and forgets them: what was read may be changed), and
 * the bytes kept for dataBytesOf. Undefined when the body is not shaped for
 * it or the envelope is not a valid chunk or result: the caller decodes it
 * whole, as before, and reports what is wrong.
 */
export const decodeWithDataBytes = (content: Buffer): Response | undefined => {
  const at = locateData(content);
  if (at === undefined) return undefined;
  const [start, end] = at;
  const envelope = parseJson(`${content.toString('utf8', 0, start)}null${content.toString('utf8', end)}`);
  if (!envelope.ok) return undefined;
  const parsed = parseResponse(envelope.value);
  if (!parsed.ok || parsed.value.kind === 'error') return undefined;
  const response = parsed.value;
  const bytes = content.subarray(start, end);
  let value: unknown;
  Object.defineProperty(response, 'data', {
    enumerable: true,
    configurable: true,
    get() {
      if (pristine.has(response)) {
        // Throws on bytes that are not JSON and keeps them: relayed as they are, the client drops them as malformed.
        value = JSON.parse(bytes.toString('utf8'));
        pristine.delete(response);
      }
      return value;
    },
    set(next: unknown) {
      pristine.delete(response);
      value = next;
    },
  });
  pristine.set(response, bytes);
  return response;
};
