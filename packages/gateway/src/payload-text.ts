// The JSON text of a request's payload, made once by the pipeline (to measure
// it) and reused by the validation thread, which gets text rather than the
// object: copying a string to a thread is a memcpy, cloning 100 000 objects
// is not. Keyed by the payload object, so a plugin that replaces ctx.payload
// simply gets its own payload stringified.
const texts = new WeakMap<object, string>();

export const rememberJson = (value: unknown, text: string): void => {
  if (value !== null && typeof value === 'object') texts.set(value, text);
};

export const jsonOf = (value: unknown): string => {
  if (value !== null && typeof value === 'object') {
    const known = texts.get(value);
    if (known !== undefined) return known;
  }
  return JSON.stringify(value) ?? 'null';
};
