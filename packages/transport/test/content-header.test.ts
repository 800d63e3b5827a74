// content-header.ts decodes a content header's properties in place of
// amqplib: these tests hold it to amqplib's own decoder (defs.js), key for
// key, on properties amqplib itself encoded, and check that it leaves to
// amqplib what it does not cover.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeBasicProperties } from '../src/amqp/content-header.ts';

const require = createRequire(import.meta.url);
const lib = join(dirname(require.resolve('amqplib')), 'lib');
const defs = require(join(lib, 'defs.js')) as {
  BasicProperties: number;
  encodeProperties(id: number, channel: number, size: number, fields: object): Buffer;
  decode(id: number, buffer: Buffer): Record<string, unknown>;
};

/** The content header frame amqplib writes for `properties`, and where its property flags start and its payload ends. */
const headerFrame = (properties: object, size = 100) => {
  const frame = defs.encodeProperties(defs.BasicProperties, 1, size, properties);
  return { frame, at: 7 + 12, end: frame.length - 1 };
};

const amqplibDecode = ({ frame, at, end }: ReturnType<typeof headerFrame>) => defs.decode(defs.BasicProperties, frame.subarray(at, end));

/** Deep equality, key order included: the object must be the one amqplib makes. */
const shape = (value: unknown): unknown =>
  value !== null && typeof value === 'object' && !Buffer.isBuffer(value)
    ? Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, shape(v)])
    : value === undefined
      ? 'undefined'
      : value;

const now = 1_796_038_476_213;
const warrenRequest = (i: number) => ({
  contentType: 'application/json',
  deliveryMode: 2,
  correlationId: `V1StGXR8_Z5jdHi6B-${i}`,
  replyTo: 'benchwk.reply.aaaaaaaaaaaaaaaaaaaaaa',
  expiration: String(30_000 - i),
  timestamp: Math.floor(now / 1000),
  type: 'echo',
  headers: {
    'x-warren-version': 1,
    'x-warren-session': 'aaaaaaaaaaaaaaaaaaaaaa',
    'x-warren-deadline': now + i,
    traceparent: `00-4bf92f3577b34da6a3ce929d0e0e${String(i).padStart(4, '0')}-00f067aa0ba902b7-01`,
    'x-warren-batch': 1,
    ...(i % 3 === 0 ? { 'x-delivery-count': i } : {}),
  },
});

const covered: object[] = [
  {},
  { contentType: 'application/json' },
  { contentType: 'application/json', deliveryMode: 2, correlationId: 'id-1', type: 'result' },
  { contentType: 'application/json', deliveryMode: 1, headers: { 'x-warren-session': 's' }, correlationId: 'id', type: 'batch' },
  {
    contentType: 'text/plain',
    contentEncoding: 'gzip',
    headers: {},
    deliveryMode: 2,
    priority: 7,
    correlationId: 'c',
    replyTo: 'r',
    expiration: '5',
    messageId: 'm',
    timestamp: 2 ** 40 + 3,
    type: 't',
    userId: 'guest',
    appId: 'app',
    clusterId: 'cluster',
  },
  // Every value type covered, at their edges; strings with UTF-8 beyond ASCII, empty and longer than the reuse cache keeps.
  {
    headers: {
      s: 'é ü 漢字 🎉',
      empty: '',
      long: 'x'.repeat(300),
      bytes: -128,
      small: 32767,
      negative: -32768,
      int: 2 ** 31 - 1,
      minInt: -(2 ** 31),
      big: 2 ** 53 - 1,
      huge: 2 ** 62 + 2 ** 40,
      negativeBig: -(2 ** 60) - 1,
      double: 1.5,
      bool: true,
      no: false,
      nothing: null,
    },
    correlationId: '漢字',
  },
  { headers: { typed: { '!': 'unsignedbyte', value: 200 }, u16: { '!': 'unsignedshort', value: 65535 }, u32: { '!': 'unsignedint', value: 2 ** 32 - 1 } } },
  { headers: { f: { '!': 'float', value: 0.25 }, d: { '!': 'double', value: -0.1 } } },
  { headers: { é: 1, 'same-key': 'a', 'same-key ': 'b' } },
  { replyTo: 'amq.gen-abcdefghijklmnop', headers: { 'x-warren-session': 'x'.repeat(64) } },
  { replyTo: 'amq.gen-abcdefghijklmnop', headers: { 'x-warren-session': 'x'.repeat(65) } },
];

describe('decodeBasicProperties', () => {
  it('makes the object amqplib makes, key for key, for the properties and header values it covers', () => {
    for (const properties of covered) {
      const frame = headerFrame(properties);
      const ours = decodeBasicProperties(frame.frame, frame.at, frame.end);
      expect(ours, JSON.stringify(properties)).toBeDefined();
      expect(shape(ours)).toEqual(shape(amqplibDecode(frame)));
    }
  });

  it('gives the same strings when a position repeats its bytes, and new ones when they change', () => {
    // Warren requests one after another: most strings repeat, some do not, some change length.
    for (let i = 0; i < 300; i++) {
      const properties = i % 50 === 49 ? { ...warrenRequest(i), replyTo: `other.${i}`, type: 'echoes' } : warrenRequest(i);
      const frame = headerFrame(properties);
      expect(shape(decodeBasicProperties(frame.frame, frame.at, frame.end))).toEqual(shape(amqplibDecode(frame)));
    }
    // Same length, same first bytes: UTF-8 beyond ASCII before, in and after the bytes that differ.
    for (const value of ['abcé', 'abcè', 'éabc', 'éabd', 'éabd', 'abcd', 'ébcd']) {
      const frame = headerFrame({ correlationId: value, headers: { k: value } });
      expect(shape(decodeBasicProperties(frame.frame, frame.at, frame.end))).toEqual(shape(amqplibDecode(frame)));
    }
    // The same bytes at another position (a key where a value was) are still decoded as they are.
    const a = headerFrame({ headers: { one: 'two', two: 'one' } });
    const b = headerFrame({ headers: { two: 'one', one: 'two' } });
    expect(shape(decodeBasicProperties(a.frame, a.at, a.end))).toEqual(shape(amqplibDecode(a)));
    expect(shape(decodeBasicProperties(b.frame, b.at, b.end))).toEqual(shape(amqplibDecode(b)));
  });

  it('leaves to amqplib what it does not cover: arrays, nested tables, decimals, timestamps and byte arrays in the headers', () => {
    for (const headers of [
      { list: [1, 'a'] },
      { nested: { a: 1 } },
      { decimal: { '!': 'decimal', value: { places: 2, digits: 12345 } } },
      { at: { '!': 'timestamp', value: 1_700_000_000 } },
      { raw: Buffer.from('bytes') },
    ]) {
      const frame = headerFrame({ contentType: 'application/json', headers });
      expect(decodeBasicProperties(frame.frame, frame.at, frame.end), JSON.stringify(headers)).toBeUndefined();
      expect(amqplibDecode(frame).headers).toBeDefined();
    }
  });

  it('leaves to amqplib a payload that ends early, and flag bits that name no property', () => {
    const { frame, at, end } = headerFrame(warrenRequest(1));
    for (let cut = at; cut < end; cut++) {
      const ours = decodeBasicProperties(frame, at, cut);
      // A cut may fall between whole properties only when nothing after it was flagged: never here (the type is last).
      expect(ours, `cut at ${cut - at}`).toBeUndefined();
    }
    const odd = Buffer.from(frame.subarray(at, end));
    odd.writeUInt16BE(odd.readUInt16BE(0) | 0x0001, 0);
    expect(decodeBasicProperties(odd, 0, odd.length)).toBeUndefined();
  });
});
