// A payload's size as the gateway counts it (UTF-8 bytes of its JSON), for
// the limit checked before a request is sent. Short text is counted in place:
// encoding it made a copy per request only to read its length (decision
// 0019, sixth round); long text is encoded, which is faster than a loop.
/** Below this many UTF-16 units a payload's JSON is measured by counting, not by encoding it into a copy. */
const COUNTED_UNITS = 4096;

/** The UTF-8 length of `text` (a lone surrogate counts 3, as TextEncoder writes U+FFFD). */
export const utf8Bytes = (text: string, encoder: TextEncoder): number => {
  if (text.length > COUNTED_UNITS) return encoder.encode(text).byteLength;
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) continue;
    if (unit < 0x800) bytes += 1;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 2; // a pair: 4 bytes for 2 units
      i += 1;
    } else bytes += 2;
  }
  return bytes;
};
