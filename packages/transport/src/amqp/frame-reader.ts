// amqplib (2.x) copies every received byte at least twice: `recvFrame` joins
// each socket read onto the bytes left over from the last one
// (`Buffer.concat`, also when nothing was left over), and a message's body
// frames are joined again into its content. At 1 MB per message that was
// 12 % of the gateway's CPU and 18 % of the worker's (decision 0017).
//
// This reader takes over `recvFrame` on one connection, after the
// handshake. Small messages stay amqplib's. From a content header that
// announces more than one frame's body until that body is assembled, it
// keeps the socket's reads as a list of chunks, hands every non-body frame
// to amqplib's own `recvFrame` (its parsing, size limit and decoding,
// unchanged), and copies each body frame's bytes straight into one buffer
// of the size the header announced. amqplib then receives the content as a
// single body frame, which it takes without joining. Each body byte is
// copied once (twice for those in the read that held the header, which
// amqplib had already joined).
//
// A whole content header frame (every message has one) it decodes itself,
// with content-header.ts, into the frame amqplib's would be: amqplib made
// every string of its properties afresh, which was most of what reading a
// request cost (issue 16).
//
// It relies on amqplib internals, so it checks them first, on a scratch
// object (`frameReaderApplies`): if they differ, the connection keeps stock
// amqplib and nothing is lost but the saving.
import type { ChannelModel } from 'amqplib';
import { decodeBasicProperties } from './content-header.ts';

const FRAME_HEADER = 2;
const FRAME_BODY = 3;
const FRAME_END = 206;
const HEADER_BYTES = 7;
const EMPTY: Buffer = Buffer.alloc(0);

interface Frame {
  id?: number;
  channel: number;
  size?: number;
  content?: Buffer;
  fields?: Record<string, unknown>;
}

/** The parts of amqplib's `Connection` this relies on. */
interface AmqplibConnection {
  rest: Buffer;
  maxFrameSize: number;
  /** Negotiated; a body no larger than a frame's payload comes in one frame. */
  frameMax?: number;
  recvSinceLastCheck: boolean;
  stream: { read(): Buffer | null };
  recvFrame(this: AmqplibConnection): Frame | false;
}

type RecvFrame = AmqplibConnection['recvFrame'];

const frameBytes = (type: number, channel: number, payload: Buffer) => {
  const frame = Buffer.alloc(HEADER_BYTES + payload.length + 1);
  frame.writeUInt8(type, 0);
  frame.writeUInt16BE(channel, 1);
  frame.writeUInt32BE(payload.length, 3);
  payload.copy(frame, HEADER_BYTES);
  frame.writeUInt8(FRAME_END, HEADER_BYTES + payload.length);
  return frame;
};

/** A basic-class content header announcing `size` body bytes, no properties. */
const contentHeader = (channel: number, size: number) => {
  const payload = Buffer.alloc(14);
  payload.writeUInt16BE(60, 0);
  payload.writeBigUInt64BE(BigInt(size), 4);
  return frameBytes(FRAME_HEADER, channel, payload);
};

/** Runs amqplib's `recvFrame` on one complete frame, as the reader does. */
const decodeWith = (recv: RecvFrame, frame: Buffer, maxFrameSize: number): Frame | false => {
  const scratch = { rest: frame, maxFrameSize, recvSinceLastCheck: false, stream: { read: () => null }, recvFrame: recv };
  const decoded = recv.call(scratch);
  return scratch.rest.length === 0 ? decoded : false;
};

const probed = new WeakMap<object, boolean>();

/**
 * Whether amqplib's connection still looks as this reader expects: the
 * fields it reads and writes, and `recvFrame` decoding a content header
 * (`size`) and a body frame (`content`) from `rest` without reading the
 * stream. Checked once per amqplib version (its prototype).
 */
export const frameReaderApplies = (connection: unknown): connection is AmqplibConnection => {
  if (typeof connection !== 'object' || connection === null) return false;
  const c = connection as Partial<AmqplibConnection>;
  if (!Buffer.isBuffer(c.rest) || typeof c.maxFrameSize !== 'number' || typeof c.recvSinceLastCheck !== 'boolean') return false;
  if (typeof c.stream?.read !== 'function') return false;
  const proto = Object.getPrototypeOf(connection) as { recvFrame?: unknown } | null;
  if (!proto || typeof proto.recvFrame !== 'function' || Object.hasOwn(connection, 'recvFrame')) return false;
  const known = probed.get(proto);
  if (known !== undefined) return known;
  let ok = false;
  try {
    const recv = proto.recvFrame as RecvFrame;
    const header = decodeWith(recv, contentHeader(7, 300_000), 0);
    const body = decodeWith(recv, frameBytes(FRAME_BODY, 7, Buffer.from('probe')), 0);
    ok =
      header !== false &&
      header.channel === 7 &&
      header.size === 300_000 &&
      body !== false &&
      body.channel === 7 &&
      Buffer.isBuffer(body.content) &&
      body.content.toString() === 'probe';
  } catch {
    ok = false;
  }
  probed.set(proto, ok);
  return ok;
};

interface Body {
  size: number;
  buffer: Buffer | null;
  filled: number;
}

/**
 * A whole content header frame at the start of `rest`, decoded as amqplib
 * would (frame.js decodeFrame) but with its properties decoded by
 * content-header.ts; undefined (nothing consumed) for anything else, or a
 * header that module leaves to amqplib.
 */
const decodeContentHeader = (connection: AmqplibConnection): Frame | undefined => {
  const rest = connection.rest;
  if (rest.length < HEADER_BYTES + 14 + 1 || rest[0] !== FRAME_HEADER) return undefined;
  const size = rest.readUInt32BE(3);
  const end = HEADER_BYTES + size;
  if (size < 14 || rest.length <= end || rest[end] !== FRAME_END || (connection.maxFrameSize > 0 && size > connection.maxFrameSize)) return undefined;
  const id = rest.readUInt16BE(HEADER_BYTES);
  // The body size, a 64-bit integer: beyond 2^53 (never sent) left to amqplib.
  const high = rest.readUInt32BE(HEADER_BYTES + 4);
  if (id !== 60 || high >= 0x200000) return undefined;
  const fields = decodeBasicProperties(rest, HEADER_BYTES + 12, end);
  if (fields === undefined) return undefined;
  connection.rest = rest.subarray(end + 1);
  return { id, channel: rest.readUInt16BE(1), size: high * 0x100000000 + rest.readUInt32BE(HEADER_BYTES + 8), fields };
};

/** The replacement `recvFrame` for one connection (exported for its tests). */
export const createFrameReader = (connection: AmqplibConnection, stock: RecvFrame) => {
  const chunks: Buffer[] = [];
  let offset = 0; // into chunks[0]
  let available = 0;
  // By channel number (small integers, as amqplib keeps its channels).
  const bodies: (Body | undefined)[] = [];
  let tracked = 0;
  const setBody = (channel: number, body: Body | undefined) => {
    tracked += (body ? 1 : 0) - (bodies[channel] ? 1 : 0);
    bodies[channel] = body;
  };
  // The body frame being copied: its channel's body and payload bytes still to come.
  let copying: { channel: number; body: Body; left: number } | null = null;
  let pending: Frame | null = null;

  // Between large messages amqplib reads as it always did (no cost on small
  // messages); a content header announcing more than one frame's body hands
  // the bytes to this reader until no body is left to assemble.
  let ours = false;
  const takeOver = () => {
    ours = true;
    if (connection.rest.length > 0) {
      chunks.push(connection.rest);
      available = connection.rest.length;
    }
    connection.rest = EMPTY;
  };
  const handBack = () => {
    ours = false;
    const left =
      chunks.length === 0 ? EMPTY : chunks.length === 1 ? chunks[0]!.subarray(offset) : Buffer.concat([chunks[0]!.subarray(offset), ...chunks.slice(1)]);
    chunks.length = 0;
    offset = 0;
    available = 0;
    connection.rest = left;
  };
  /** A body that fits one frame is one frame: amqplib takes it as it is, no join to save. */
  const assembles = (frame: Frame | false): frame is Frame & { size: number } => {
    const oneFrame = typeof connection.frameMax === 'number' ? connection.frameMax - HEADER_BYTES - 1 : 0;
    return frame !== false && typeof frame.size === 'number' && frame.size > oneFrame;
  };

  const pull = () => {
    const incoming = connection.stream.read();
    if (incoming === null) return false;
    connection.recvSinceLastCheck = true;
    if (incoming.length > 0) {
      chunks.push(incoming);
      available += incoming.length;
    }
    return true;
  };

  const ensure = (n: number) => {
    while (available < n) if (!pull()) return false;
    return true;
  };

  const consume = (n: number) => {
    available -= n;
    while (n > 0) {
      const head = chunks[0]!;
      const here = head.length - offset;
      if (n < here) {
        offset += n;
        return;
      }
      n -= here;
      chunks.shift();
      offset = 0;
    }
  };

  /** The next `n` bytes, consumed: a view when they lie in one chunk, else one copy. */
  const take = (n: number) => {
    const head = chunks[0]!;
    if (head.length - offset >= n) {
      const view = head.subarray(offset, offset + n);
      consume(n);
      return view;
    }
    const out = Buffer.allocUnsafe(n);
    copyInto(out, 0, n);
    return out;
  };

  /** Copies the next `n` bytes (all available) into `target` at `at`, consumed. */
  const copyInto = (target: Buffer, at: number, n: number) => {
    available -= n;
    while (n > 0) {
      const head = chunks[0]!;
      const count = Math.min(n, head.length - offset);
      head.copy(target, at, offset, offset + count);
      at += count;
      n -= count;
      offset += count;
      if (offset === head.length) {
        chunks.shift();
        offset = 0;
      }
    }
  };

  // The next frame header's bytes and where they start (a copy only when a read ends inside them).
  let headerBytes: Buffer = EMPTY;
  let headerAt = 0;
  const peekHeader = () => {
    const head = chunks[0]!;
    if (head.length - offset >= HEADER_BYTES) {
      headerBytes = head;
      headerAt = offset;
      return;
    }
    const out = Buffer.allocUnsafe(HEADER_BYTES);
    let at = 0;
    for (let i = 0; at < HEADER_BYTES; i++) {
      const chunk = chunks[i]!;
      const from = i === 0 ? offset : 0;
      at += chunk.copy(out, at, from, Math.min(chunk.length, from + HEADER_BYTES - at));
    }
    headerBytes = out;
    headerAt = 0;
  };

  /** A body received so far, handed over early because the channel broke the protocol. */
  const flushPartial = (channel: number): Frame | null => {
    const body = bodies[channel];
    setBody(channel, undefined);
    if (!body?.buffer || body.filled === 0) return null;
    return { channel, content: body.buffer.subarray(0, body.filled) };
  };

  // amqplib parses the one frame in `rest` and leaves `rest` empty; it does not read the stream.
  const stockDecode = (size: number) => {
    connection.rest = take(HEADER_BYTES + size + 1);
    return stock.call(connection);
  };

  const next = (): Frame | false => {
    for (;;) {
      if (copying) {
        const { channel, body } = copying;
        while (copying.left > 0) {
          if (available === 0 && !pull()) return false;
          const n = Math.min(copying.left, available);
          copyInto(body.buffer!, body.filled, n);
          body.filled += n;
          copying.left -= n;
        }
        if (!ensure(1)) return false;
        if (take(1)[0] !== FRAME_END) throw new Error('Invalid frame');
        copying = null;
        if (body.filled === body.size) {
          setBody(channel, undefined);
          return { channel, content: body.buffer! };
        }
        continue;
      }
      if (!ensure(HEADER_BYTES)) return false;
      peekHeader();
      const type = headerBytes[headerAt]!;
      const channel = headerBytes.readUInt16BE(headerAt + 1);
      const size = headerBytes.readUInt32BE(headerAt + 3);
      if (connection.maxFrameSize > 0 && size > connection.maxFrameSize) {
        throw new Error(`Frame size ${size} exceeds maxFrameSize ${connection.maxFrameSize}`);
      }
      const body = type === FRAME_BODY ? bodies[channel] : undefined;
      if (body && size > 0 && size <= body.size - body.filled) {
        consume(HEADER_BYTES);
        body.buffer ??= Buffer.allocUnsafe(body.size);
        copying = { channel, body, left: size };
        continue;
      }
      // Anything else is amqplib's to parse, in one piece. A frame that
      // breaks off a body on its channel gets that body's bytes first, so
      // amqplib sees the same sequence (and raises the same error).
      if (!ensure(HEADER_BYTES + size + 1)) return false;
      const partial = bodies[channel] ? flushPartial(channel) : null;
      const frame = stockDecode(size);
      if (type === FRAME_HEADER && assembles(frame)) setBody(channel, { size: frame.size, buffer: null, filled: 0 });
      if (partial) {
        pending = frame === false ? null : frame;
        return partial;
      }
      return frame;
    }
  };

  return function recvFrame(): Frame | false {
    if (!ours) {
      // Nothing left over from the last read: the next read is `rest` as it
      // is. Stock amqplib would join it onto the empty buffer, a copy of
      // every byte received (≈ 3 % of the fast-lane worker's CPU, decision
      // 0019); reads are not reused, as the large-message path relies on too.
      if (connection.rest.length === 0) {
        const incoming = connection.stream.read();
        if (incoming === null) return false;
        connection.recvSinceLastCheck = true;
        connection.rest = incoming;
      }
      // Stock recvFrame calls `this.recvFrame` again after each read, i.e.
      // this function: the inner call may have taken over already.
      const frame = decodeContentHeader(connection) ?? stock.call(connection);
      if (!ours && assembles(frame)) {
        takeOver();
        setBody(frame.channel, { size: frame.size, buffer: null, filled: 0 });
      }
      return frame;
    }
    let frame: Frame | false;
    if (pending) {
      frame = pending;
      pending = null;
    } else frame = next();
    if (tracked === 0 && copying === null && pending === null) handBack();
    return frame;
  };
};

/**
 * Installs the reader on a connected model; false (stock amqplib kept) when
 * amqplib's internals are not what it expects.
 */
export const readFramesOnce = (model: ChannelModel): boolean => {
  const connection = (model as unknown as { connection?: unknown }).connection;
  if (!frameReaderApplies(connection)) return false;
  const stock = (Object.getPrototypeOf(connection) as { recvFrame: RecvFrame }).recvFrame;
  connection.recvFrame = createFrameReader(connection, stock);
  return true;
};
