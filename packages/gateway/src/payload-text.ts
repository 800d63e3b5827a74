// The JSON text of a request's payload: checked and made once by the pipeline (to measure
// it) and reused by the validation thread, which gets text rather than the
// object: copying a string to a thread is a memcpy, cloning 100 000 objects
// is not. Keyed by the payload object, so a plugin that replaces ctx.payload
// simply gets its own payload stringified.
import { MAX_BODY_DEPTH } from '@warren/protocol';

const texts = new WeakMap<object, string>();

export const rememberJson = (value: unknown, text: string): void => {
  if (value !== null && typeof value === 'object') texts.set(value, text);
};

export const payloadText = (value: unknown): string => {
  if (value !== null && typeof value === 'object') {
    const known = texts.get(value);
    if (known !== undefined) return known;
  }
  return JSON.stringify(value) ?? 'null';
};

export const NOT_JSON = -1;
export const TOO_DEEP = -2;
const BINARY = -3;

/**
 * How deep arrays/objects nest in `value` (as jsonDepth counts it on the
 * text), BINARY when a binary value is inside; stops descending past `limit`.
 * A walk over the values, so that JSON.stringify runs without a replacer: a
 * replacer takes it off its fast path (3.4× the time for a 1 MB string).
 */
const shape = (value: unknown, limit: number): number => {
  if (value === null || typeof value !== 'object') return 0;
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return BINARY;
  if (limit <= 0) return 1;
  let deepest = 0;
  for (const item of Array.isArray(value) ? value : Object.values(value)) {
    const depth = shape(item, limit - 1);
    if (depth === BINARY) return BINARY;
    if (depth > deepest) deepest = depth;
  }
  return deepest + 1;
};

/**
 * The payload as JSON text; NOT_JSON for binary attachments, cycles or absurd
 * nesting, TOO_DEEP past the protocol's MAX_BODY_DEPTH (workers would refuse
 * it; Python's parser cannot even read it).
 */
export const payloadJson = (value: unknown): string | typeof NOT_JSON | typeof TOO_DEEP => {
  const depth = shape(value, MAX_BODY_DEPTH);
  if (depth === BINARY) return NOT_JSON;
  try {
    const text = JSON.stringify(value);
    if (text === undefined) return NOT_JSON;
    return depth > MAX_BODY_DEPTH ? TOO_DEEP : text;
  } catch {
    return NOT_JSON;
  }
};
