// A basic-class content header's properties, decoded here instead of by
// amqplib. Every request a worker takes (and every answer a gateway reads)
// has one, with a table of Warren headers, and most of its strings are the
// ones the message before had (content type, header names, the session,
// its reply queue, the type): amqplib makes each afresh, and on Bun those
// strings were most of the ≈ 10 % of the durable worker's CPU spent
// decoding properties (issue 16). Here a string whose bytes are those the
// same position held last time is that string again, not a new one.
//
// The object is amqplib's (defs.js decodeBasicProperties), key for key, in
// the same order. Anything this does not cover (arrays, nested tables,
// decimals, timestamps and byte arrays in the headers, unknown flag bits,
// a payload that ends early) is left to amqplib, which decodes it, or
// throws, as it always did.

/** Not decodable here: amqplib decodes it. */
const NO = -1;

/**
 * The strings of the last header decoded, by position (a property or a
 * header name or value, in order): their bytes, length and text. Only
 * reused when every byte matches, so a string is always its bytes' UTF-8.
 */
const SLOTS = 32;
const SLOT_BYTES = 64;
const slotBytes = Buffer.alloc(SLOTS * SLOT_BYTES);
const slotLength = new Int32Array(SLOTS).fill(-1);
const slotText: string[] = new Array<string>(SLOTS).fill('');
let slot = 0;

/** The decoded string (a module variable: no object per string). */
let text = '';

/**
 * Bytes known to be ASCII as a string: Buffer's latin1Slice (Node and Bun
 * have it), where toString('utf8', …) took several times longer per short
 * string on Bun (its argument handling, then a UTF-8 decode); for ASCII the
 * two give the same string.
 */
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice?: (start: number, end: number) => string }).latin1Slice;
const ascii: (buf: Buffer, start: number, end: number) => string =
  typeof latin1Slice === 'function' ? (buf, start, end) => latin1Slice.call(buf, start, end) : (buf, start, end) => buf.toString('latin1', start, end);

/** `len` bytes at `at` as UTF-8, into `text`; the same string as last time at this position when the bytes are. */
const readText = (buf: Buffer, at: number, len: number): void => {
  const s = slot++;
  if (s >= SLOTS || len > SLOT_BYTES) {
    text = buf.toString('utf8', at, at + len);
    return;
  }
  const base = s * SLOT_BYTES;
  let i = 0;
  if (slotLength[s] === len) {
    while (i < len && slotBytes[base + i] === buf[at + i]) i++;
    if (i === len) {
      text = slotText[s]!;
      return;
    }
  }
  // Kept for next time, and checked for ASCII on the way (the bytes before `i` are those kept already).
  let high = 0;
  for (let j = 0; j < i; j++) high |= slotBytes[base + j]!;
  for (; i < len; i++) {
    const c = buf[at + i]!;
    slotBytes[base + i] = c;
    high |= c;
  }
  text = high < 0x80 ? ascii(buf, at, at + len) : buf.toString('utf8', at, at + len);
  slotLength[s] = len;
  slotText[s] = text;
};

/** A shortstr at `at` into `text`; the offset after it, or NO past `end`. */
const shortstr = (buf: Buffer, at: number, end: number): number => {
  if (at >= end) return NO;
  const len = buf[at]!;
  if (at + 1 + len > end) return NO;
  readText(buf, at + 1, len);
  return at + 1 + len;
};

/**
 * A 64-bit integer as amqplib reads it (Number of a BigInt): the high word
 * times 2^32 is exact and the sum rounds once, to the same double.
 */
const int64 = (buf: Buffer, at: number, signed: boolean) => (signed ? buf.readInt32BE(at) : buf.readUInt32BE(at)) * 0x100000000 + buf.readUInt32BE(at + 4);

/** A field table as amqplib's decodeFields makes it; undefined when a value is of a type left to amqplib. */
const table = (buf: Buffer, at: number, end: number): Record<string, unknown> | undefined => {
  const fields: Record<string, unknown> = {};
  while (at < end) {
    at = shortstr(buf, at, end);
    if (at === NO || at >= end) return undefined;
    const key = text;
    const tag = buf[at++]!;
    let value: unknown;
    // Each value's size, checked before it is read.
    const need = tag === 0x6c || tag === 0x64 ? 8 : tag === 0x53 || tag === 0x49 || tag === 0x69 || tag === 0x66 ? 4 : tag === 0x73 || tag === 0x75 ? 2 : 1;
    if (tag !== 0x56 && at + need > end) return undefined;
    switch (tag) {
      case 0x53: {
        // 'S', a long string
        const len = buf.readUInt32BE(at);
        at += 4;
        if (at + len > end) return undefined;
        readText(buf, at, len);
        value = text;
        at += len;
        break;
      }
      case 0x62: // 'b'
        value = buf.readInt8(at);
        break;
      case 0x42: // 'B'
        value = buf[at];
        break;
      case 0x73: // 's'
        value = buf.readInt16BE(at);
        break;
      case 0x75: // 'u'
        value = buf.readUInt16BE(at);
        break;
      case 0x49: // 'I'
        value = buf.readInt32BE(at);
        break;
      case 0x69: // 'i'
        value = buf.readUInt32BE(at);
        break;
      case 0x6c: // 'l'
        value = int64(buf, at, true);
        break;
      case 0x64: // 'd'
        value = buf.readDoubleBE(at);
        break;
      case 0x66: // 'f'
        value = buf.readFloatBE(at);
        break;
      case 0x74: // 't'
        value = buf[at] !== 0;
        break;
      case 0x56: // 'V'
        value = null;
        break;
      default:
        return undefined;
    }
    if (tag !== 0x53 && tag !== 0x56) at += need;
    fields[key] = value;
  }
  return fields;
};

/**
 * The properties of a basic-class content header whose property flags
 * start at `at` and whose payload ends at `end` (what amqplib's
 * `decode(60, payload.subarray(12))` returns), or undefined when amqplib
 * must decode them.
 */
export const decodeBasicProperties = (buf: Buffer, at: number, end: number): Record<string, unknown> | undefined => {
  if (at + 2 > end) return undefined;
  const flags = buf.readUInt16BE(at);
  at += 2;
  if (flags === 0) return {};
  // Bits amqplib reads no property from (the lowest would continue the flags in another word).
  if ((flags & 0x0003) !== 0) return undefined;
  slot = 0;
  const fields: Record<string, unknown> = {
    contentType: undefined,
    contentEncoding: undefined,
    headers: undefined,
    deliveryMode: undefined,
    priority: undefined,
    correlationId: undefined,
    replyTo: undefined,
    expiration: undefined,
    messageId: undefined,
    timestamp: undefined,
    type: undefined,
    userId: undefined,
    appId: undefined,
    clusterId: undefined,
  };
  if (flags & 0x8000) {
    if ((at = shortstr(buf, at, end)) === NO) return undefined;
    fields.contentType = text;
  }
  if (flags & 0x4000) {
    if ((at = shortstr(buf, at, end)) === NO) return undefined;
    fields.contentEncoding = text;
  }
  if (flags & 0x2000) {
    if (at + 4 > end) return undefined;
    const len = buf.readUInt32BE(at);
    at += 4;
    if (at + len > end) return undefined;
    const headers = table(buf, at, at + len);
    if (headers === undefined) return undefined;
    fields.headers = headers;
    at += len;
  }
  if (flags & 0x1000) {
    if (at >= end) return undefined;
    fields.deliveryMode = buf[at++];
  }
  if (flags & 0x0800) {
    if (at >= end) return undefined;
    fields.priority = buf[at++];
  }
  if (flags & 0x0400) {
    if ((at = shortstr(buf, at, end)) === NO) return undefined;
    fields.correlationId = text;
  }
  if (flags & 0x0200) {
    if ((at = shortstr(buf, at, end)) === NO) return undefined;
    fields.replyTo = text;
  }
  if (flags & 0x0100) {
    if ((at = shortstr(buf, at, end)) === NO) return undefined;
    fields.expiration = text;
  }
  if (flags & 0x0080) {
    if ((at = shortstr(buf, at, end)) === NO) return undefined;
    fields.messageId = text;
  }
  if (flags & 0x0040) {
    if (at + 8 > end) return undefined;
    fields.timestamp = int64(buf, at, false);
    at += 8;
  }
  if (flags & 0x0020) {
    if ((at = shortstr(buf, at, end)) === NO) return undefined;
    fields.type = text;
  }
  if (flags & 0x0010) {
    if ((at = shortstr(buf, at, end)) === NO) return undefined;
    fields.userId = text;
  }
  if (flags & 0x0008) {
    if ((at = shortstr(buf, at, end)) === NO) return undefined;
    fields.appId = text;
  }
  if (flags & 0x0004) {
    if ((at = shortstr(buf, at, end)) === NO) return undefined;
    fields.clusterId = text;
  }
  return fields;
};
