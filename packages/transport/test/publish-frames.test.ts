// A publish encoded by publish-frames.ts is byte for byte what amqplib
// writes for the same options (its own encoder, run here), and anything it
// does not cover is left to amqplib.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Channel, ConfirmChannel, Options } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { encodePublishFrames, publishOn, publishPlainOn } from '../src/amqp/publish-frames.ts';

const require = createRequire(import.meta.url);
// amqplib's encoder is not among its exports: loaded by path, from the package's own directory.
const lib = (file: string) => join(dirname(require.resolve('amqplib')), 'lib', file);
interface AmqplibDefs {
  BasicPublish: number;
  BasicProperties: number;
  encodeMethod(method: number, channel: number, fields: unknown): Buffer;
  encodeProperties(properties: number, channel: number, size: number, fields: unknown): Buffer;
}
const defs = require(lib('defs.js')) as AmqplibDefs;
const Args = require(lib('api_args.js')) as { publish(exchange: string, routingKey: string, options: Options.Publish): unknown };
const { makeBodyFrame } = require(lib('frame.js')) as { makeBodyFrame(channel: number, content: Buffer): Buffer };

/** What amqplib's Channel#publish hands its connection for these arguments. */
const amqplibFrames = (channel: number, exchange: string, routingKey: string, body: Buffer, options: Options.Publish) => {
  const fields = Args.publish(exchange, routingKey, options);
  const parts = [defs.encodeMethod(defs.BasicPublish, channel, fields), defs.encodeProperties(defs.BasicProperties, channel, body.length, fields)];
  if (body.length > 0) parts.push(makeBodyFrame(channel, body));
  return Buffer.concat(parts);
};

const FRAME_MAX = 131072;
const now = 1_796_000_000_000;
const request: Options.Publish = {
  contentType: 'application/json',
  persistent: true,
  mandatory: true,
  correlationId: 'r-1',
  replyTo: 'ns.reply.0123456789abcdef0123456789abcdef',
  type: 'echo',
  timestamp: Math.floor(now / 1000),
  expiration: '29999',
  messageId: 'f81d4fae-7dec-11d0-a765-00a0c91e6bf6',
  headers: {
    'x-warren-version': 1,
    'x-warren-session': '0123456789abcdef0123456789abcdef',
    'x-warren-deadline': now + 30_000,
    'x-warren-principal': JSON.stringify({ sub: 'üser ✓', roles: ['a'] }),
    'x-warren-traceparent': '00-0123456789abcdef0123456789abcdef-0123456789abcdef-01',
    'x-warren-batch': 1,
  },
};

const cases: Array<[string, string, string, Buffer, Options.Publish]> = [
  ['a durable request', 'ns.requests', 'echo', Buffer.from('{"text":"hi"}'), request],
  [
    'a response, no headers',
    '',
    'ns.reply.abc',
    Buffer.from('[1,2]'),
    { contentType: 'application/json', persistent: true, correlationId: 'r', type: 'batch', mandatory: true, messageId: 'm' },
  ],
  [
    'a fast response',
    '',
    'amq.gen-xyz',
    Buffer.from('{}'),
    { contentType: 'application/json', persistent: false, headers: { 'x-warren-session': 's' }, correlationId: 'é', type: 'result' },
  ],
  ['an empty body', 'x', 'y', Buffer.alloc(0), { headers: {} }],
  ['no options at all', '', 'q', Buffer.from('x'), {}],
  [
    'every kind of number',
    'x',
    'y',
    Buffer.alloc(3000, 0x61),
    {
      headers: {
        b: -128,
        s: 200,
        s2: -32768,
        i: 70_000,
        i2: -0x80000000,
        l: 2 ** 40,
        l2: -(2 ** 40),
        d: 1.5,
        big: 2 ** 64,
        t: true,
        f: false,
        skip: undefined,
      },
      expiration: 5 as unknown as string,
      timestamp: 0,
    },
  ],
  ['a 255-byte name', 'e'.repeat(255), 'ü'.repeat(127), Buffer.from('x'), { type: 't'.repeat(255), correlationId: '' }],
  // Names are written byte by byte while ASCII and short (96 units), else by Buffer#write: both sides of each bound.
  [
    'ASCII and not, at the bounds of the byte loop',
    'a'.repeat(96),
    'b'.repeat(97),
    Buffer.from('{}'),
    {
      correlationId: `${'c'.repeat(95)}é`,
      replyTo: `é${'r'.repeat(95)}`,
      type: '\u007f\u0080',
      messageId: '\ud83d\ude00',
      headers: { ['k'.repeat(96)]: 'v'.repeat(97), ké: `${'v'.repeat(50)}\ud800` },
    },
  ],
];

describe('publish frames', () => {
  it.each(cases)('encodes %s as amqplib does', (_name, exchange, routingKey, body, options) => {
    for (const channel of [1, 2, 300]) {
      const ours = encodePublishFrames(channel, exchange, routingKey, body, options, FRAME_MAX);
      expect(ours).toBeDefined();
      expect(ours!.equals(amqplibFrames(channel, exchange, routingKey, body, options))).toBe(true);
    }
  });

  it.each(cases)('encodes %s from its body as text, the same bytes', (_name, exchange, routingKey, body, options) => {
    const text = body.toString();
    const ours = encodePublishFrames(2, exchange, routingKey, text, options, FRAME_MAX);
    expect(ours).toBeDefined();
    expect(ours!.equals(amqplibFrames(2, exchange, routingKey, Buffer.from(text), options))).toBe(true);
  });

  it('measures a text body by its UTF-8, not its length', () => {
    const text = `{"t":"${'ü✓'.repeat(40)}"}`;
    const ours = encodePublishFrames(1, '', 'q', text, { contentType: 'application/json' }, FRAME_MAX);
    expect(ours!.equals(amqplibFrames(1, '', 'q', Buffer.from(text), { contentType: 'application/json' }))).toBe(true);
    // 6,000 characters, over 16 KiB as UTF-8: left to amqplib, like a Buffer that long.
    expect(encodePublishFrames(1, '', 'q', '✓'.repeat(6000), {}, FRAME_MAX)).toBeUndefined();
    expect(encodePublishFrames(1, '', 'q', 'ü'.repeat(2100), {}, 4096)).toBeUndefined();
  });

  it('leaves to amqplib what it does not cover', () => {
    const body = Buffer.from('x');
    const not = (options: Options.Publish, b = body, frameMax = FRAME_MAX) => expect(encodePublishFrames(1, 'x', 'y', b, options, frameMax)).toBeUndefined();
    not({ priority: 1 });
    not({ appId: 'a' });
    not({ userId: 'guest' });
    not({ contentEncoding: 'gzip' });
    not({ deliveryMode: 2 });
    not({ CC: 'a' });
    not({ headers: { nested: { a: 1 } } });
    not({ headers: { nothing: null } });
    not({ headers: { buf: Buffer.from('x') } });
    not({ headers: { nan: Number.NaN } });
    not({ timestamp: 1.5 });
    not({ type: 't'.repeat(256) });
    not({ correlationId: 'ü'.repeat(128) });
    not({}, Buffer.alloc(17 * 1024));
    not({}, Buffer.alloc(5000), 4096);
    not({ headers: { big: 'x'.repeat(30_000) } });
  });

  it('writes on the channel as amqplib would, with the confirm callback in order; a closed channel throws through amqplib', () => {
    const written: Buffer[] = [];
    const confirms: unknown[] = [];
    const conn = { frameMax: FRAME_MAX, sentSinceLastCheck: false, channels: [null, null, { buffer: { write: (b: Buffer) => written.push(b) > 0 } }] };
    let amqplibPublished = 0;
    const ch = {
      ch: 2,
      connection: conn,
      pushConfirmCallback: (cb: unknown) => confirms.push(cb),
      publish: () => {
        amqplibPublished++;
        return true;
      },
    } as unknown as ConfirmChannel;
    const cb = () => {};
    expect(publishOn(ch, 'x', 'y', Buffer.from('{}'), { ...request }, cb)).toBe(true);
    expect(written).toHaveLength(1);
    expect(written[0]!.equals(amqplibFrames(2, 'x', 'y', Buffer.from('{}'), request))).toBe(true);
    expect(confirms).toEqual([cb]);
    expect(conn.sentSinceLastCheck).toBe(true);
    // Not covered here: amqplib's publish.
    publishOn(ch, 'x', 'y', Buffer.from('{}'), { priority: 3 }, cb);
    expect(amqplibPublished).toBe(1);
    // amqplib marks a closing channel by giving it its own sendMessage that throws.
    Object.assign(ch, {
      sendMessage: () => {
        throw new Error('Channel closed');
      },
      publish: () => {
        throw new Error('Channel closed');
      },
    });
    expect(() => publishOn(ch, 'x', 'y', Buffer.from('{}'), { ...request }, cb)).toThrow('Channel closed');
    expect(written).toHaveLength(1);
  });

  it('writes on a plain channel (the fast lane) as amqplib would, with no confirm; what it does not cover goes through amqplib', () => {
    const written: Buffer[] = [];
    const conn = { frameMax: FRAME_MAX, sentSinceLastCheck: false, channels: [null, { buffer: { write: (b: Buffer) => written.push(b) > 0 } }] };
    let amqplibPublished = 0;
    const ch = {
      ch: 1,
      connection: conn,
      publish: () => {
        amqplibPublished++;
        return true;
      },
    } as unknown as Channel;
    const fast = { ...request, persistent: false, headers: { ...(request.headers as object), 'x-warren-batch': 1 } };
    expect(publishPlainOn(ch, '', 'ns.fast.echo', Buffer.from('{}'), fast)).toBe(true);
    expect(written).toHaveLength(1);
    expect(written[0]!.equals(amqplibFrames(1, '', 'ns.fast.echo', Buffer.from('{}'), fast))).toBe(true);
    expect(conn.sentSinceLastCheck).toBe(true);
    expect(amqplibPublished).toBe(0);
    publishPlainOn(ch, '', 'q', Buffer.from('{}'), { priority: 3 });
    expect(amqplibPublished).toBe(1);
    expect(written).toHaveLength(1);
  });

  it('writes a text body on a plain channel as its UTF-8, and hands amqplib a Buffer of it when amqplib must publish', () => {
    const written: Buffer[] = [];
    const conn = { frameMax: FRAME_MAX, sentSinceLastCheck: false, channels: [null, { buffer: { write: (b: Buffer) => written.push(b) > 0 } }] };
    const viaAmqplib: unknown[] = [];
    const ch = { ch: 1, connection: conn, publish: (_e: string, _r: string, body: unknown) => viaAmqplib.push(body) > 0 } as unknown as Channel;
    const options = { contentType: 'application/json', persistent: false, headers: { 'x-warren-session': 's' }, correlationId: 'r', type: 'result' };
    expect(publishPlainOn(ch, '', 'amq.gen-x', '{"data":"ü"}', options)).toBe(true);
    expect(written[0]!.equals(amqplibFrames(1, '', 'amq.gen-x', Buffer.from('{"data":"ü"}'), options))).toBe(true);
    publishPlainOn(ch, '', 'q', '{"data":"ü"}', { priority: 3 });
    expect(viaAmqplib).toEqual([Buffer.from('{"data":"ü"}')]);
  });
});
