// A small message's basic.publish, content header and body frames, encoded
// here in one pass instead of by amqplib. amqplib copies the options into a
// 20-field object, measures every string twice, walks the headers with
// for…in over a prototype it adds, zero-fills its buffers and builds a
// BigInt per message: 5–15 µs a publish on Bun, where the gateway spends
// ≈ 230 µs a request and the worker ≈ 100 (issue 16). The bytes are the
// ones amqplib writes (a test compares them), written where amqplib would
// write them, with its confirm callback; anything this does not cover
// (other properties, header values other than strings, numbers and
// booleans, a large body, a channel amqplib no longer sends on) is left to
// amqplib's own publish.
import type { Channel, ConfirmChannel, Options } from 'amqplib';

/** The properties encoded here; any other set in a publish's options sends it through amqplib. */
const KNOWN = new Set(['contentType', 'headers', 'persistent', 'mandatory', 'correlationId', 'replyTo', 'expiration', 'messageId', 'timestamp', 'type']);

/** Bodies up to this size share the frames' buffer; larger ones go through amqplib (no per-message cost worth saving there). */
const MAX_BODY = 16 * 1024;
const FRAME_END = 0xce;
const SCRATCH = Buffer.allocUnsafe(64 * 1024);
/** Not encodable here: the caller publishes through amqplib instead. */
const NO = -1;

/** Strings up to this length are tried as ASCII in JavaScript first. */
const ASCII_MAX = 96;

/**
 * Writes `value` as UTF-8 at `offset`; returns its byte length. A publish
 * writes a dozen short names and ids (header keys, session, trace context,
 * queue names), nearly always ASCII: on Bun a byte loop takes 30–45 ns less
 * per string than a native `Buffer#write` call (2M strings, 2026-11-30),
 * which stays for anything else.
 */
const utf8 = (value: string, offset: number): number => {
  const n = value.length;
  if (n > ASCII_MAX) return SCRATCH.write(value, offset, 'utf8');
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c > 0x7f) return SCRATCH.write(value, offset, 'utf8');
    SCRATCH[offset + i] = c;
  }
  return n;
};

const shortstr = (value: string, offset: number): number => {
  // At most 3 bytes per UTF-16 unit; a shortstr holds 255.
  if (value.length > 255 || offset + 1 + value.length * 3 > SCRATCH.length) return NO;
  const len = utf8(value, offset + 1);
  if (len > 255) return NO;
  SCRATCH[offset] = len;
  return offset + 1 + len;
};

const longstr = (value: string, offset: number): number => {
  if (offset + 5 + value.length * 3 > SCRATCH.length) return NO;
  const len = utf8(value, offset + 5);
  SCRATCH[offset] = 0x53; // 'S'
  SCRATCH.writeUInt32BE(len, offset + 1);
  return offset + 5 + len;
};

/** A number as amqplib types it (codec.js encodeFieldValue): the smallest signed integer that holds it, else a double. */
const fieldNumber = (n: number, offset: number): number => {
  if (!Number.isFinite(n)) return NO;
  if (n >= 0x8000000000000000 || (Math.abs(n) < 0x4000000000000 && Math.floor(n) !== n)) {
    SCRATCH[offset] = 0x64; // 'd'
    SCRATCH.writeDoubleBE(n, offset + 1);
    return offset + 9;
  }
  if (n < 128 && n >= -128) {
    SCRATCH[offset] = 0x62; // 'b'
    SCRATCH.writeInt8(n, offset + 1);
    return offset + 2;
  }
  if (n >= -0x8000 && n < 0x8000) {
    SCRATCH[offset] = 0x73; // 's'
    SCRATCH.writeInt16BE(n, offset + 1);
    return offset + 3;
  }
  if (n >= -0x80000000 && n < 0x80000000) {
    SCRATCH[offset] = 0x49; // 'I'
    SCRATCH.writeInt32BE(n, offset + 1);
    return offset + 5;
  }
  if (!Number.isInteger(n)) return NO;
  SCRATCH[offset] = 0x6c; // 'l'
  SCRATCH.writeBigInt64BE(BigInt(n), offset + 1);
  return offset + 9;
};

const table = (headers: Record<string, unknown>, offset: number): number => {
  const start = offset;
  offset += 4;
  for (const key of Object.keys(headers)) {
    const value = headers[key];
    if (value === undefined) continue;
    offset = shortstr(key, offset);
    if (offset === NO || offset + 16 > SCRATCH.length) return NO;
    if (typeof value === 'string') offset = longstr(value, offset);
    else if (typeof value === 'number') offset = fieldNumber(value, offset);
    else if (typeof value === 'boolean') {
      SCRATCH[offset] = 0x74; // 't'
      SCRATCH[offset + 1] = value ? 1 : 0;
      offset += 2;
    } else return NO;
    if (offset === NO) return NO;
  }
  SCRATCH.writeUInt32BE(offset - start - 4, start);
  return offset;
};

/** Property flags, in the order the content header carries the properties (AMQP 0-9-1 basic class). */
const FLAG = {
  contentType: 0x8000,
  headers: 0x2000,
  deliveryMode: 0x1000,
  correlationId: 0x0400,
  replyTo: 0x0200,
  expiration: 0x0100,
  messageId: 0x0080,
  timestamp: 0x0040,
  type: 0x0020,
};

const optionalShortstr = (value: unknown, flag: number, state: { flags: number }, offset: number): number => {
  if (value === undefined || value === null) return offset;
  if (typeof value !== 'string') return NO;
  state.flags |= flag;
  return shortstr(value, offset);
};

/**
 * The three frames of a publish on `channel` as one buffer, or undefined
 * when amqplib must encode it (see the top of this file). A body given as
 * text is written as UTF-8 straight into the frames: no Buffer of its own
 * to make and copy again (decision 0019, sixth round).
 */
export const encodePublishFrames = (
  channel: number,
  exchange: string,
  routingKey: string,
  body: Buffer | string,
  options: Options.Publish,
  frameMax: number,
): Buffer | undefined => {
  const text = typeof body === 'string';
  // Text: its UTF-8 is at least as long as it, and measured once written below.
  if (body.length > MAX_BODY || body.length > frameMax - 8) return undefined;
  for (const key in options) if (!KNOWN.has(key) && (options as Record<string, unknown>)[key] !== undefined) return undefined;
  // basic.publish: class 60, method 40, ticket 0, exchange, routing key, bits.
  SCRATCH[0] = 1;
  SCRATCH.writeUInt16BE(channel, 1);
  SCRATCH.writeUInt32BE(0x003c0028, 7);
  SCRATCH.writeUInt16BE(0, 11);
  let offset = shortstr(exchange, 13);
  if (offset === NO) return undefined;
  offset = shortstr(routingKey, offset);
  if (offset === NO) return undefined;
  SCRATCH[offset++] = options.mandatory ? 1 : 0;
  SCRATCH.writeUInt32BE(offset - 7, 3);
  SCRATCH[offset++] = FRAME_END;
  // Content header: class 60, weight 0, body size, flags, then the properties in flag order.
  const header = offset;
  SCRATCH[header] = 2;
  SCRATCH.writeUInt16BE(channel, header + 1);
  SCRATCH.writeUInt32BE(0x003c0000, header + 7);
  SCRATCH.writeUInt32BE(0, header + 11);
  SCRATCH.writeUInt32BE(body.length, header + 15);
  offset = header + 21;
  const state = { flags: 0 };
  offset = optionalShortstr(options.contentType, FLAG.contentType, state, offset);
  if (offset === NO) return undefined;
  // amqplib always sends a headers table, an empty one when there are none.
  if (options.headers !== undefined && options.headers !== null && typeof options.headers !== 'object') return undefined;
  state.flags |= FLAG.headers;
  offset = table((options.headers ?? {}) as Record<string, unknown>, offset);
  if (offset === NO) return undefined;
  if (options.persistent !== undefined) {
    state.flags |= FLAG.deliveryMode;
    SCRATCH[offset++] = options.persistent ? 2 : 1;
  }
  offset = optionalShortstr(options.correlationId, FLAG.correlationId, state, offset);
  if (offset !== NO) offset = optionalShortstr(options.replyTo, FLAG.replyTo, state, offset);
  if (offset === NO) return undefined;
  if (options.expiration !== undefined && options.expiration !== null) {
    offset = optionalShortstr(String(options.expiration), FLAG.expiration, state, offset);
    if (offset === NO) return undefined;
  }
  offset = optionalShortstr(options.messageId, FLAG.messageId, state, offset);
  if (offset === NO) return undefined;
  if (options.timestamp !== undefined && options.timestamp !== null) {
    if (typeof options.timestamp !== 'number' || !Number.isSafeInteger(options.timestamp) || options.timestamp < 0) return undefined;
    state.flags |= FLAG.timestamp;
    SCRATCH.writeUInt32BE(Math.floor(options.timestamp / 0x100000000), offset);
    SCRATCH.writeUInt32BE(options.timestamp >>> 0, offset + 4);
    offset += 8;
  }
  offset = optionalShortstr(options.type, FLAG.type, state, offset);
  if (offset === NO || offset + 9 + body.length * (text ? 3 : 1) > SCRATCH.length) return undefined;
  SCRATCH.writeUInt16BE(state.flags, header + 19);
  SCRATCH.writeUInt32BE(offset - header - 7, header + 3);
  SCRATCH[offset++] = FRAME_END;
  if (text) {
    // Written where the body frame's payload goes, then measured: the frames leave SCRATCH in one copy.
    const size = body.length > 0 ? SCRATCH.write(body, offset + 7, 'utf8') : 0;
    if (size > MAX_BODY || size > frameMax - 8) return undefined;
    SCRATCH.writeUInt32BE(size, header + 15);
    if (size === 0) return Buffer.from(SCRATCH.subarray(0, offset));
    SCRATCH[offset] = 3;
    SCRATCH.writeUInt16BE(channel, offset + 1);
    SCRATCH.writeUInt32BE(size, offset + 3);
    SCRATCH[offset + 7 + size] = FRAME_END;
    const frames = Buffer.allocUnsafe(offset + 8 + size);
    SCRATCH.copy(frames, 0, 0, offset + 8 + size);
    return frames;
  }
  // Body: one frame (an empty body has none, as amqplib sends it).
  const frames = Buffer.allocUnsafe(offset + (body.length > 0 ? body.length + 8 : 0));
  SCRATCH.copy(frames, 0, 0, offset);
  if (body.length > 0) {
    frames[offset] = 3;
    frames.writeUInt16BE(channel, offset + 1);
    frames.writeUInt32BE(body.length, offset + 3);
    body.copy(frames, offset + 7);
    frames[offset + 7 + body.length] = FRAME_END;
  }
  return frames;
};

/** What of amqplib 2.x's channel internals a direct write needs; absent (another version), publishes go through amqplib. */
interface ChannelInternals {
  ch: number;
  connection: { frameMax: number; sentSinceLastCheck: boolean; channels: Array<{ buffer: { write(chunk: Buffer): boolean } } | null> };
  pushConfirmCallback(cb: (error: unknown) => void): void;
}

/**
 * Publishes on a confirm channel as `ch.publish` does, writing frames
 * encoded here when it can. Returns what `publish` returns (false: wait for
 * 'drain'); throws as `publish` does on a closed channel. A text body is
 * sent as its UTF-8 (a durable response's, as a fast one's).
 */
export const publishOn = (
  ch: ConfirmChannel,
  exchange: string,
  routingKey: string,
  body: Buffer | string,
  options: Options.Publish,
  confirmed: (error: unknown) => void,
): boolean => {
  const inner = ch as unknown as ChannelInternals;
  const direct = typeof inner.pushConfirmCallback === 'function' ? directWrite(ch, exchange, routingKey, body, options) : undefined;
  if (direct === undefined) return ch.publish(exchange, routingKey, typeof body === 'string' ? Buffer.from(body) : body, options, confirmed);
  inner.pushConfirmCallback(confirmed);
  return direct;
};

/** The same on a plain channel (the fast lane's, decision 0019): no confirm to wait for. A text body is sent as its UTF-8. */
export const publishPlainOn = (ch: Channel, exchange: string, routingKey: string, body: Buffer | string, options: Options.Publish): boolean =>
  directWrite(ch, exchange, routingKey, body, options) ?? ch.publish(exchange, routingKey, typeof body === 'string' ? Buffer.from(body) : body, options);

/** Writes the frames encoded here where amqplib would; undefined (nothing written) when amqplib must publish it. */
const directWrite = (ch: Channel, exchange: string, routingKey: string, body: Buffer | string, options: Options.Publish): boolean | undefined => {
  const inner = ch as unknown as ChannelInternals;
  const conn = inner.connection;
  // amqplib replaces sendMessage on a closing or closed channel (and connection) with one that throws: let it.
  const open = !Object.hasOwn(ch, 'sendMessage') && conn !== undefined && !Object.hasOwn(conn, 'sendMessage');
  const buffer = open ? conn.channels?.[inner.ch]?.buffer : undefined;
  const frames = buffer !== undefined ? encodePublishFrames(inner.ch, exchange, routingKey, body, options, conn.frameMax) : undefined;
  if (frames === undefined) return undefined;
  conn.sentSinceLastCheck = true;
  return buffer!.write(frames);
};
