// The AMQP socket's writes of one tick go out as one writev, except a large
// chunk, which is written on its own (no syscall to save; Bun would copy it
// into the joined buffer). Order is kept either way.
import { Writable } from 'node:stream';
import type { ChannelModel } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { coalesceWrites } from '../src/amqp/coalesce-writes.ts';

const socket = () => {
  const batches: string[][] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      batches.push([label(chunk)]);
      callback();
    },
    writev(chunks, callback) {
      batches.push(chunks.map((c) => label(c.chunk as Buffer)));
      callback();
    },
  });
  return { stream, batches };
};
const label = (b: Buffer) => (b.length > 1000 ? `big${b.length}` : b.toString());
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('coalesced AMQP writes', () => {
  it('joins the small writes of a tick, writes a large chunk alone, in order', async () => {
    const { stream, batches } = socket();
    expect(coalesceWrites({ connection: { stream } } as unknown as ChannelModel)).toBe(true);
    stream.write(Buffer.from('a'));
    stream.write(Buffer.from('b'));
    stream.write(Buffer.alloc(131072));
    stream.write(Buffer.alloc(131072));
    stream.write(Buffer.from('c'));
    stream.write(Buffer.from('d'));
    await tick();
    expect(batches.flat()).toEqual(['a', 'b', 'big131072', 'big131072', 'c', 'd']);
    expect(batches).toContainEqual(['a', 'b']);
    expect(batches).toContainEqual(['c', 'd']);
    expect(batches.filter((b) => b.some((l) => l.startsWith('big'))).every((b) => b.length === 1)).toBe(true);
  });
});
