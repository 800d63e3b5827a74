// The frame reader replaces amqplib's `recvFrame` on a live connection. These
// tests run it on the installed amqplib's own Connection class, against the
// stock reader fed the same bytes in the same reads: the same frames and the
// same messages, in the same order — and each message's content in one piece.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { ChannelModel } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { createFrameReader, frameReaderApplies, readFramesOnce } from '../src/amqp/frame-reader.ts';

const require = createRequire(import.meta.url);
const lib = join(dirname(require.resolve('amqplib')), 'lib');
const { Connection } = require(join(lib, 'connection.js')) as { Connection: new (stream: unknown) => Conn };
const defs = require(join(lib, 'defs.js')) as {
  BasicDeliver: number;
  BasicProperties: number;
  encodeMethod(id: number, channel: number, fields: object): Buffer;
  encodeProperties(id: number, channel: number, size: number, fields: object): Buffer;
};

interface Frame {
  channel: number;
  id?: number;
  size?: number;
  content?: Buffer;
  fields?: Record<string, unknown>;
}
interface Conn {
  rest: Buffer;
  maxFrameSize: number;
  stream: { read(): Buffer | null };
  recvFrame(): Frame | false;
}

const BODY = 3;
const END = 206;
const MAX_BODY = 131072 - 8;

const bodyFrame = (channel: number, payload: Buffer) => {
  const frame = Buffer.alloc(8 + payload.length);
  frame.writeUInt8(BODY, 0);
  frame.writeUInt16BE(channel, 1);
  frame.writeUInt32BE(payload.length, 3);
  payload.copy(frame, 7);
  frame.writeUInt8(END, 7 + payload.length);
  return frame;
};
const heartbeat = Buffer.from([8, 0, 0, 0, 0, 0, 0, END]);

/** A deterministic PRNG, so a failure can be reproduced. */
const prng = (seed: number) => () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};

/** The frames of one delivery: method, content header, body frames of at most `frameBody` bytes. */
const delivery = (channel: number, tag: number, content: Buffer, frameBody: number) => {
  const frames = [
    defs.encodeMethod(defs.BasicDeliver, channel, { consumerTag: 'c', deliveryTag: tag, redelivered: false, exchange: '', routingKey: 'q' }),
    defs.encodeProperties(defs.BasicProperties, channel, content.length, { contentType: 'application/json', headers: { n: tag } }),
  ];
  for (let at = 0; at < content.length; at += frameBody) frames.push(bodyFrame(channel, content.subarray(at, at + frameBody)));
  return frames;
};

/** Deliveries on several channels, interleaved frame by frame (each channel's own frames in order), with heartbeats. */
const wire = (random: () => number, sizes: number[], frameBody = MAX_BODY) => {
  const perChannel = new Map<number, Buffer[]>();
  const contents: Buffer[] = [];
  sizes.forEach((size, i) => {
    const channel = 1 + (i % 3);
    const content = Buffer.alloc(size);
    for (let b = 0; b < size; b += 997) content[b] = (i * 31 + b) & 0xff;
    contents.push(content);
    perChannel.set(channel, [...(perChannel.get(channel) ?? []), ...delivery(channel, i + 1, content, frameBody)]);
  });
  const queues = [...perChannel.values()];
  const out: Buffer[] = [];
  while (queues.some((q) => q.length > 0)) {
    const q = queues.filter((x) => x.length > 0)[Math.floor(random() * queues.filter((x) => x.length > 0).length)]!;
    out.push(q.shift()!);
    if (random() < 0.05) out.push(heartbeat);
  }
  return { bytes: Buffer.concat(out), contents };
};

/** Cuts `bytes` into reads of random sizes (1 byte to 200 KB). */
const cut = (random: () => number, bytes: Buffer) => {
  const reads: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    const size = random() < 0.3 ? 1 + Math.floor(random() * 16) : 1 + Math.floor(random() * 200_000);
    reads.push(bytes.subarray(at, at + size));
    at += size;
  }
  return reads;
};

const connectionOver = () => {
  const conn = new Connection(new PassThrough());
  const queue: Buffer[] = [];
  conn.stream = { read: () => queue.shift() ?? null };
  return { conn, feed: (b: Buffer) => queue.push(b) };
};

interface Received {
  frames: string[];
  messages: Buffer[];
  bodyFrames: number;
}

/** Feeds the reads one at a time, taking every frame each makes available, and assembles messages per channel. */
const receive = (reads: Buffer[], install: boolean): Received => {
  const { conn, feed } = connectionOver();
  if (install) {
    expect(frameReaderApplies(conn)).toBe(true);
    conn.recvFrame = createFrameReader(conn as never, Object.getPrototypeOf(conn).recvFrame) as Conn['recvFrame'];
  }
  const open = new Map<number, { size: number; parts: Buffer[] }>();
  const out: Received = { frames: [], messages: [], bodyFrames: 0 };
  for (const read of reads) {
    feed(read);
    for (let f = conn.recvFrame(); f; f = conn.recvFrame()) {
      if (f.content) {
        out.bodyFrames += 1;
        const m = open.get(f.channel)!;
        m.parts.push(f.content);
        if (m.parts.reduce((n, p) => n + p.length, 0) === m.size) {
          out.messages.push(Buffer.concat(m.parts));
          open.delete(f.channel);
        }
      } else {
        out.frames.push(`${f.channel}:${f.id ?? 'hb'}:${f.size ?? ''}:${JSON.stringify(f.fields ?? null)}`);
        if (f.size !== undefined) {
          if (f.size === 0) out.messages.push(Buffer.alloc(0));
          else open.set(f.channel, { size: f.size, parts: [] });
        }
      }
    }
  }
  expect(open.size).toBe(0);
  return out;
};

describe('the frame reader on the installed amqplib', () => {
  it('applies: amqplib internals are what it expects (fails when an upgrade changes them)', () => {
    expect(frameReaderApplies(new Connection(new PassThrough()))).toBe(true);
    const model = { connection: new Connection(new PassThrough()) };
    expect(readFramesOnce(model as unknown as ChannelModel)).toBe(true);
    expect(Object.hasOwn(model.connection, 'recvFrame')).toBe(true);
  });

  it('gives the same frames and messages as stock amqplib, each content in one body frame', () => {
    const sizes = [0, 1, 100, MAX_BODY, MAX_BODY + 1, 1_048_576, 3 * MAX_BODY + 17, 250_000, 5, 1_048_576 + 333];
    for (let seed = 1; seed <= 25; seed++) {
      const random = prng(seed);
      const { bytes, contents } = wire(random, sizes);
      const reads = cut(random, bytes);
      const stock = receive(reads, false);
      const ours = receive(reads, true);
      expect(ours.frames).toEqual(stock.frames);
      expect(ours.messages.length).toBe(contents.length);
      // Buffer.equals: vitest's deep equality walks a megabyte byte by byte.
      expect(ours.messages.every((m, i) => m.equals(stock.messages[i]!))).toBe(true);
      const sorted = [...contents].sort(Buffer.compare);
      expect([...ours.messages].sort(Buffer.compare).every((m, i) => m.equals(sorted[i]!))).toBe(true);
      expect(ours.bodyFrames).toBe(sizes.filter((s) => s > 0).length);
    }
  });

  it('gives the bytes after a large message back to amqplib (its `rest`), and takes small ones as amqplib does', () => {
    const large = Buffer.alloc(10_000, 9);
    const next = Buffer.concat(delivery(1, 2, Buffer.from('small'), MAX_BODY));
    const bytes = Buffer.concat([...delivery(1, 1, large, 4088), next.subarray(0, 20)]);
    const { conn, feed } = connectionOver();
    conn.recvFrame = createFrameReader(conn as never, Object.getPrototypeOf(conn).recvFrame) as Conn['recvFrame'];
    feed(bytes);
    const frames: Frame[] = [];
    for (let f = conn.recvFrame(); f; f = conn.recvFrame()) frames.push(f);
    expect(frames.filter((f) => f.content).map((f) => f.content!.equals(large))).toEqual([true]);
    expect(conn.rest.equals(next.subarray(0, 20))).toBe(true);
    feed(next.subarray(20));
    const small = [conn.recvFrame(), conn.recvFrame(), conn.recvFrame()] as Frame[];
    expect(small[2]!.content!.toString()).toBe('small');
    expect(conn.rest.length).toBe(0);
  });

  it('takes a read as it is when nothing was left over: a small message is a view of it, not a copy (stock amqplib copies)', () => {
    const read = Buffer.concat(delivery(1, 1, Buffer.from('small'), MAX_BODY));
    const contentOf = (install: boolean) => {
      const { conn, feed } = connectionOver();
      if (install) conn.recvFrame = createFrameReader(conn as never, Object.getPrototypeOf(conn).recvFrame) as Conn['recvFrame'];
      feed(read);
      const frames = [conn.recvFrame(), conn.recvFrame(), conn.recvFrame()] as Frame[];
      expect(conn.recvFrame()).toBe(false);
      return frames[2]!.content!;
    };
    const ours = contentOf(true);
    const stock = contentOf(false);
    expect(ours.toString()).toBe('small');
    expect(stock.toString()).toBe('small');
    // Overwrite the read: a view of it changes with it, a copy does not.
    read.fill(0x2e);
    expect(ours.toString()).toBe('.....');
    expect(stock.toString()).toBe('small');
  });

  it("decodes a whole content header itself (content-header.ts), to amqplib's frame; anything else, and a header it leaves, goes to amqplib", () => {
    const properties = {
      contentType: 'application/json',
      deliveryMode: 2,
      correlationId: 'id',
      headers: { 'x-warren-session': 's', 'x-warren-deadline': 1_796_038_476_213 },
    };
    const covered = defs.encodeProperties(defs.BasicProperties, 3, 5, properties);
    const left = defs.encodeProperties(defs.BasicProperties, 3, 5, { headers: { list: [1] } });
    const framesOf = (bytes: Buffer, install: boolean) => {
      const { conn, feed } = connectionOver();
      let stockCalls = 0;
      const stock = Object.getPrototypeOf(conn).recvFrame as Conn['recvFrame'];
      if (install)
        conn.recvFrame = createFrameReader(
          conn as never,
          function (this: Conn) {
            stockCalls += 1;
            return stock.call(this);
          } as never,
        ) as Conn['recvFrame'];
      feed(bytes);
      const frames: Frame[] = [];
      for (let f = conn.recvFrame(); f; f = conn.recvFrame()) frames.push(f);
      return { frames, stockCalls, rest: conn.rest.length };
    };
    const bytes = Buffer.concat([covered, bodyFrame(3, Buffer.from('hello')), left, bodyFrame(3, Buffer.from('world'))]);
    const ours = framesOf(bytes, true);
    const stock = framesOf(bytes, false);
    // The same frames, key for key (the header's properties too), and nothing left over.
    const keys = (frames: Frame[]) => frames.map((f) => [Object.keys(f), f.fields && Object.keys(f.fields)]);
    expect(keys(ours.frames)).toEqual(keys(stock.frames));
    expect(ours.frames).toEqual(stock.frames);
    expect(ours.rest).toBe(0);
    // amqplib's recvFrame for the two body frames and the header with an array; not for the first header.
    expect(ours.stockCalls).toBe(3);
  });

  it('hands over what it had and lets amqplib refuse a body longer than its header said', () => {
    const channel = 2;
    const frames = delivery(channel, 1, Buffer.alloc(10, 1), MAX_BODY);
    const bytes = Buffer.concat([frames[0]!, frames[1]!, bodyFrame(channel, Buffer.alloc(6, 2)), bodyFrame(channel, Buffer.alloc(6, 3))]);
    const stock = connectionOver();
    const ours = connectionOver();
    ours.conn.recvFrame = createFrameReader(ours.conn as never, Object.getPrototypeOf(ours.conn).recvFrame) as Conn['recvFrame'];
    stock.feed(bytes);
    ours.feed(bytes);
    const stockBodies = [1, 2, 3, 4].map(() => stock.conn.recvFrame() as Frame).filter((f) => f.content);
    const ourBodies = [1, 2, 3, 4].map(() => ours.conn.recvFrame() as Frame).filter((f) => f.content);
    expect(ourBodies.map((f) => [...f.content!])).toEqual(stockBodies.map((f) => [...f.content!]));
  });

  it('refuses what stock amqplib refuses: an oversized frame, a bad frame end', () => {
    for (const bytes of [
      Buffer.concat([...delivery(1, 1, Buffer.alloc(10), MAX_BODY).slice(0, 2), Buffer.from([BODY, 0, 1, 0x10, 0, 0, 0])]),
      Buffer.concat([...delivery(1, 1, Buffer.alloc(10), MAX_BODY).slice(0, 2), bodyFrame(1, Buffer.alloc(10)).fill(0, 17)]),
    ]) {
      const errors = [false, true].map((install) => {
        const { conn, feed } = connectionOver();
        conn.maxFrameSize = 131072;
        if (install) conn.recvFrame = createFrameReader(conn as never, Object.getPrototypeOf(conn).recvFrame) as Conn['recvFrame'];
        feed(bytes);
        try {
          while (conn.recvFrame());
          return 'none';
        } catch (error) {
          return (error as Error).message;
        }
      });
      expect(errors[1]).toBe(errors[0]);
      expect(errors[0]).not.toBe('none');
    }
  });

  it('leaves stock amqplib in place when its reader behaves differently', () => {
    const Changed = function (this: Conn) {
      this.rest = Buffer.alloc(0);
      this.maxFrameSize = 0;
      (this as unknown as { recvSinceLastCheck: boolean }).recvSinceLastCheck = false;
      this.stream = { read: () => null };
    } as unknown as new () => Conn;
    Changed.prototype.recvFrame = () => false;
    const model = { connection: new Changed() };
    expect(readFramesOnce(model as unknown as ChannelModel)).toBe(false);
    expect(Object.hasOwn(model.connection, 'recvFrame')).toBe(false);
  });
});
