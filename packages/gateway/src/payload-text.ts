// The JSON text of a request's payload: checked and made once by the pipeline (to measure
// it) and reused by the validation thread, which gets text rather than the
// object: copying a string to a thread is a memcpy, cloning 100 000 objects
// is not. Keyed by the payload object, so a plugin that replaces ctx.payload
// simply gets its own payload stringified.
import { jsonDepth, MAX_BODY_DEPTH } from '@warren/protocol';

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
/**
 * The payload as JSON text; NOT_JSON for binary attachments, cycles or absurd
 * nesting, TOO_DEEP past the protocol's MAX_BODY_DEPTH (workers would refuse
 * it; Python's parser cannot even read it).
 */
export const payloadJson = (value: unknown): string | typeof NOT_JSON | typeof TOO_DEEP => {
  try {
    const text = JSON.stringify(value, function (this: Record<string, unknown>, key, v) {
      const raw = this[key];
      if (raw instanceof ArrayBuffer || ArrayBuffer.isView(raw)) throw new TypeError('binary');
      return v;
    });
    if (text === undefined) return NOT_JSON;
    return jsonDepth(text, MAX_BODY_DEPTH) > MAX_BODY_DEPTH ? TOO_DEEP : text;
  } catch {
    return NOT_JSON;
  }
};
