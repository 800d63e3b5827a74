import { isWarrenError } from '@warren/protocol';
import { describe, expect, it } from 'vitest';
import { chunk, failure, result } from './fake-socket.ts';
import { flushMicrotasks, setup } from './setup.ts';

describe('stream', () => {
  it('yields chunks in order, ends, and resolves result', async () => {
    const { socket, backend } = setup();
    const stream = backend.stream<{ text: string }, { count: number }>('testRequest', { count: 3 });
    socket.request('r-1').ack?.({ ok: true, id: 'r-1' });
    socket.respond(chunk('r-1', 1, { text: 'b' }));
    socket.respond(chunk('r-1', 0, { text: 'a' }));
    setTimeout(() => {
      socket.respond(chunk('r-1', 2, { text: 'c' }));
      socket.respond(result('r-1', 3, { count: 3 }));
    }, 5);
    const texts: string[] = [];
    for await (const item of stream) texts.push(item.text);
    expect(texts).toEqual(['a', 'b', 'c']);
    await expect(stream.result).resolves.toEqual({ count: 3 });
  });

  it('throws the WarrenError from the loop after the chunks that came before it', async () => {
    const { socket, backend } = setup();
    const stream = backend.stream('testRequest', {});
    socket.respond(chunk('r-1', 0, 'a'));
    socket.respond(failure('r-1', 1, 'WORKER_ERROR', 'boom'));
    const seen: unknown[] = [];
    let caught: unknown;
    try {
      for await (const item of stream) seen.push(item);
    } catch (error) {
      caught = error;
    }
    expect(seen).toEqual(['a']);
    expect(isWarrenError(caught)).toBe(true);
    expect(caught).toMatchObject({ code: 'WORKER_ERROR' });
    await expect(stream.result).rejects.toBe(caught);
  });

  it('cancels the request when the loop breaks early', async () => {
    const { socket, backend } = setup();
    const stream = backend.stream('testRequest', {});
    socket.request('r-1').ack?.({ ok: true, id: 'r-1' });
    socket.respond(chunk('r-1', 0, 'a'));
    socket.respond(chunk('r-1', 1, 'b'));
    for await (const item of stream) {
      expect(item).toBe('a');
      break;
    }
    expect(socket.bodies('cancel')).toEqual([{ id: 'r-1', type: 'testRequest' }]);
    await expect(stream.result).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('discards unread chunks of a lost attempt and carries on with the new one', async () => {
    const { socket, backend } = setup();
    const restarts: number[] = [];
    const stream = backend.stream('testRequest', {}, { onRestart: (attempt) => restarts.push(attempt) });
    socket.respond(chunk('r-1', 0, 'a1'));
    socket.respond(chunk('r-1', 1, 'b1'));
    const iterator = stream[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ done: false, value: 'a1' });
    socket.respond(chunk('r-1', 0, 'a2', 2)); // b1 was never read: gone
    socket.respond(result('r-1', 1, 'done', 2));
    expect(await iterator.next()).toEqual({ done: false, value: 'a2' });
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
    expect(restarts).toEqual([2]);
    await expect(stream.result).resolves.toBe('done');
  });

  it('stops with CANCELLED when its signal aborts, and via cancel()', async () => {
    const { socket, backend } = setup();
    const controller = new AbortController();
    const first = backend.stream('testRequest', {}, { signal: controller.signal });
    const second = backend.stream('testRequest', {});
    const loop = (async () => {
      for await (const _ of first) {
        // nothing arrives
      }
    })();
    controller.abort();
    second.cancel();
    await expect(loop).rejects.toMatchObject({ code: 'CANCELLED' });
    await expect(second.result).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(socket.bodies('cancel')).toHaveLength(2);
  });

  it('does not leak an unhandled rejection when only iterating or only awaiting', async () => {
    const { socket, backend } = setup();
    const ignored = backend.stream('testRequest', {});
    socket.respond(failure('r-1', 0, 'WORKER_ERROR', 'nobody listens'));
    await flushMicrotasks();
    await expect(ignored.result).rejects.toMatchObject({ code: 'WORKER_ERROR' });
  });

  it('accepts a timeout and ends with TIMEOUT', async () => {
    const { backend } = setup();
    const stream = backend.stream('testRequest', {}, { timeoutMs: 20 });
    await expect(stream.result).rejects.toMatchObject({ code: 'TIMEOUT' });
  });
});
