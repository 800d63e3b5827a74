// `responses` frames (capability response-batches): the client reads each
// envelope by the same path as a `response` frame, in order, and acks the
// frame once, whatever the envelopes held.
import { describe, expect, it } from 'vitest';
import { chunk, failure, result } from './fake-socket.ts';
import { setup } from './setup.ts';

describe('responses frames', () => {
  it("handles a frame's envelopes in order and acks it once", async () => {
    const { socket, backend } = setup();
    const seen: unknown[] = [];
    const call = backend.makeBackendRequest('testRequest', {}, { onChunk: (data, meta) => seen.push([data, meta.seq]) });
    expect(socket.respondBatch([chunk('r-1', 0, 'a'), chunk('r-1', 1, 'b'), chunk('r-1', 2, 'c'), result('r-1', 3, 'done')])).toBe(1);
    await expect(call).resolves.toBe('done');
    expect(seen).toEqual([
      ['a', 0],
      ['b', 1],
      ['c', 2],
    ]);
  });

  it('settles several requests from one frame, and keeps a stream going across frames and single responses', async () => {
    const { socket, backend } = setup();
    const seen: string[] = [];
    const one = backend.makeBackendRequest('t', {}, { onChunk: (data) => seen.push(`1:${String(data)}`) });
    const two = backend.makeBackendRequest('t', {}, { onChunk: (data) => seen.push(`2:${String(data)}`) });
    expect(socket.respondBatch([chunk('r-1', 0, 'a'), chunk('r-2', 0, 'x'), result('r-2', 1, 'two')])).toBe(1);
    expect(socket.respond(chunk('r-1', 1, 'b'))).toBe(true);
    expect(socket.respondBatch([chunk('r-1', 2, 'c'), failure('r-1', 3, 'WORKER_ERROR', 'boom')])).toBe(1);
    await expect(two).resolves.toBe('two');
    await expect(one).rejects.toMatchObject({ code: 'WORKER_ERROR' });
    expect(seen).toEqual(['1:a', '2:x', '1:b', '1:c']);
  });

  it('drops a malformed envelope and still handles the others and acks', async () => {
    const { socket, backend } = setup();
    const seen: unknown[] = [];
    const call = backend.makeBackendRequest('testRequest', {}, { onChunk: (data) => seen.push(data) });
    const frame = [chunk('r-1', 0, 'a'), { kind: 'gossip', id: 'r-1', seq: 1, attempt: 1 }, 'not an envelope', null, result('r-1', 1, 'done')];
    expect(socket.respondBatch(frame)).toBe(1);
    await expect(call).resolves.toBe('done');
    expect(seen).toEqual(['a']);
  });

  it('acks a frame that is not an array and reads nothing from it', async () => {
    const { socket, backend } = setup();
    const call = backend.makeBackendRequest('testRequest', {});
    expect(socket.respondBatch(result('r-1', 0, 'not in an array'))).toBe(1);
    expect(socket.respondBatch(undefined)).toBe(1);
    expect(socket.respond(result('r-1', 0, 'single'))).toBe(true);
    await expect(call).resolves.toBe('single');
  });

  it('goes on with the frame when a chunk callback throws', async () => {
    const { socket, backend } = setup();
    const seen: unknown[] = [];
    const call = backend.makeBackendRequest(
      'testRequest',
      {},
      {
        onChunk: (data) => {
          seen.push(data);
          if (data === 'a') throw new Error('bad handler');
        },
      },
    );
    const original = console.error;
    console.error = () => {};
    try {
      expect(socket.respondBatch([chunk('r-1', 0, 'a'), chunk('r-1', 1, 'b'), result('r-1', 2, 'done')])).toBe(1);
    } finally {
      console.error = original;
    }
    await expect(call).resolves.toBe('done');
    expect(seen).toEqual(['a', 'b']);
  });
});
