// The CPU of receiving requests, in one process and without a broker: a
// Warren request's frames (basic.deliver, content header with Warren's
// headers, body) fed to amqplib's Connection with each checkout's frame
// reader (frame-reader.ts) installed, rounds alternating between the two
// trees (as worker-cost-ab.ts). What a worker spends from a socket read to
// the frames amqplib's channel takes (its channel code is the same in both).
//   bun bench/receive-cost-ab.ts --before dir [--after dir] [--n 100000] [--rounds 20]
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { alternate, numberArg, rootArg } from './lib/in-process-ab.ts';

const roots = { before: rootArg('before', true), after: rootArg('after') };
const total = numberArg('n', 100_000);
const rounds = numberArg('rounds', 20);

const require = createRequire(import.meta.url);
const lib = join(require.resolve('amqplib'), '..', 'lib');
const { Connection } = require(join(lib, 'connection.js')) as { Connection: new (stream: unknown) => Conn };
const defs = require(join(lib, 'defs.js')) as {
  BasicDeliver: number;
  BasicProperties: number;
  encodeMethod(id: number, channel: number, fields: object): Buffer;
  encodeProperties(id: number, channel: number, size: number, fields: object): Buffer;
};
interface Conn {
  rest: Buffer;
  stream: { read(): Buffer | null };
  recvFrame(): unknown;
}

// 64 requests per read, as at concurrency 64 in the bench: each its own id,
// trace, deadline and session (one per virtual user, bench/clients/warren.ts).
const body = Buffer.from(JSON.stringify({ text: 'x'.repeat(88) }));
const now = Date.now();
const session = (i: number) => `session${String(i % 64).padStart(15, '0')}`;
const request = (i: number) => {
  const frames = [
    defs.encodeMethod(defs.BasicDeliver, 1, {
      consumerTag: 'amq.ctag-abcdefghijklmnop',
      deliveryTag: i + 1,
      redelivered: false,
      exchange: '',
      routingKey: 'benchwk.req.echo',
    }),
    defs.encodeProperties(defs.BasicProperties, 1, body.length, {
      contentType: 'application/json',
      deliveryMode: 2,
      correlationId: `req-${i.toString(36).padStart(18, '0')}`,
      replyTo: `benchwk.reply.${session(i)}`,
      expiration: String(30_000 - (i % 100)),
      timestamp: Math.floor(now / 1000),
      type: 'echo',
      headers: {
        'x-warren-version': 1,
        'x-warren-session': session(i),
        'x-warren-deadline': now + 30_000 + i,
        traceparent: `00-${i.toString(16).padStart(32, '0')}-00f067aa0ba902b7-01`,
        'x-warren-batch': 1,
      },
    }),
    Buffer.concat([Buffer.from([3, 0, 1]), Buffer.alloc(4), body, Buffer.from([206])]),
  ];
  frames[2]!.writeUInt32BE(body.length, 3);
  return Buffer.concat(frames);
};
const reads = Array.from({ length: 64 }, (_, r) => Buffer.concat(Array.from({ length: 64 }, (_, i) => request(r * 64 + i))));

const setUp = async (root: string) => {
  const { readFramesOnce } = (await import(
    join(root, 'packages/transport/src/amqp/frame-reader.ts')
  )) as typeof import('../packages/transport/src/amqp/frame-reader.ts');
  const conn = new Connection(new PassThrough());
  const queue: Buffer[] = [];
  conn.stream = { read: () => queue.shift() ?? null };
  if (!readFramesOnce({ connection: conn } as never)) throw new Error(`no frame reader in ${root}`);
  let sink = 0;
  /** `n` requests' frames read; µs CPU per request. */
  return (n: number) => {
    const c0 = process.cpuUsage();
    for (let done = 0, r = 0; done < n; done += 64, r++) {
      queue.push(reads[r % reads.length]!);
      for (let f = conn.recvFrame(); f; f = conn.recvFrame()) sink += 1;
    }
    const c = process.cpuUsage(c0);
    if (sink === 0) throw new Error('nothing read');
    return (c.user + c.system) / n;
  };
};

await alternate(
  { before: await setUp(roots.before), after: await setUp(roots.after) },
  { rounds, total, warmup: 50_000, what: "µs CPU to read one request's frames", digits: 3 },
);
process.exit(0);
