// The answer in the ack (capability fast-answers): the client reads an ack's
// `response` as if it came in a `response` frame, after taking the ack as
// acceptance; a malformed one, or another request's, is dropped and the ack
// still accepts. A fast request that went out unacked when the connection
// dropped may have run: it fails DISCONNECTED instead of being sent again.
import { describe, expect, it } from 'vitest';
import { CAPABILITIES, type RequestFrame } from '@warren/protocol';
import { chunk, CURRENT_GATEWAY_SESSION, failure, result } from './fake-socket.ts';
import { flushMicrotasks, rejectionOf, setup } from './setup.ts';

const settledWithin = async (call: Promise<unknown>, ms = 30): Promise<boolean> => {
  let settled = false;
  void call.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((resolve) => setTimeout(resolve, ms));
  return settled;
};

describe('fast answers', () => {
  it('resolves a fast call from the response in its ack, with no response frame', async () => {
    const { socket, backend } = setup();
    const call = backend.makeBackendRequest('echo', { text: 'hi' }, { fast: true });
    const sent = socket.request('r-1');
    expect(sent.body).toMatchObject({ id: 'r-1', fast: true });
    sent.ack?.({ ok: true, id: 'r-1', response: result('r-1', 0, { text: 'hi' }) });
    await expect(call).resolves.toEqual({ text: 'hi' });
  });

  it("reads a stream's first chunk from the ack and the rest from frames, in order", async () => {
    const { socket, backend } = setup();
    const seen: unknown[] = [];
    const call = backend.makeBackendRequest('stream', {}, { fast: true, onChunk: (data, meta) => seen.push([data, meta.seq]) });
    // A later chunk overtaking the ack (a requests frame's slot waits for its frame) is held in order.
    socket.respond(chunk('r-1', 1, 'b'));
    socket.request('r-1').ack?.({ ok: true, id: 'r-1', response: chunk('r-1', 0, 'a') });
    socket.respond(result('r-1', 2, 'done'));
    await expect(call).resolves.toBe('done');
    expect(seen).toEqual([
      ['a', 0],
      ['b', 1],
    ]);
  });

  it('rejects with the error response an ack carries (a basic.return: NO_HANDLER)', async () => {
    const { socket, backend } = setup();
    const call = backend.makeBackendRequest('gone', {}, { fast: true });
    socket.request('r-1').ack?.({ ok: true, id: 'r-1', response: failure('r-1', 0, 'NO_HANDLER', 'No worker serves request type "gone".') });
    expect(await rejectionOf(call)).toMatchObject({ code: 'NO_HANDLER' });
  });

  it.each([
    ['malformed', { kind: 'result', id: 'r-1', seq: -1, attempt: 1, data: 'bad' }],
    ['not an object', 'done'],
    ["another request's", { kind: 'result', id: 'r-2', seq: 0, attempt: 1, data: 'stolen' }],
  ])('takes an ack with a %s response as acceptance, drops the envelope and reads the next frame', async (_, response) => {
    const { socket, backend } = setup();
    const call = backend.makeBackendRequest('echo', {}, { fast: true });
    const other = backend.makeBackendRequest('echo', {});
    socket.request('r-1').ack?.({ ok: true, id: 'r-1', response });
    expect(await settledWithin(call)).toBe(false);
    expect(await settledWithin(other)).toBe(false); // another request's envelope did not settle it
    // Accepted: a reconnect does not send it again.
    socket.goOffline();
    socket.goOnline();
    expect((socket.bodies('request') as RequestFrame[]).filter((f) => f.id === 'r-1')).toHaveLength(1);
    socket.respond(result('r-1', 0, 'real'));
    await expect(call).resolves.toBe('real');
    void other.catch(() => undefined);
  });

  it('reads the response in a slot of a requests frame ack', async () => {
    const { socket, backend } = setup({
      session: { ...CURRENT_GATEWAY_SESSION, capabilities: [...CURRENT_GATEWAY_SESSION.capabilities, CAPABILITIES.requestBatches, CAPABILITIES.fastAnswers] },
    });
    const a = backend.makeBackendRequest('echo', 'a', { fast: true });
    const b = backend.makeBackendRequest('echo', 'b', { fast: true });
    await flushMicrotasks();
    const frame = socket.emitted.find((e) => e.event === 'requests');
    expect(frame).toBeDefined();
    frame!.ack?.([
      { ok: true, id: 'r-1', response: result('r-1', 0, 'A') },
      { ok: true, id: 'r-2' },
    ]);
    await expect(a).resolves.toBe('A');
    socket.respond(result('r-2', 0, 'B'));
    await expect(b).resolves.toBe('B');
  });

  it('fails a fast request that went out unacked when the connection dropped, and does not send it again', async () => {
    const { socket, backend } = setup();
    const fast = backend.makeBackendRequest('echo', 'fast', { fast: true });
    const durable = backend.makeBackendRequest('echo', 'durable');
    socket.goOffline();
    const error = await rejectionOf(fast);
    expect(error).toMatchObject({ code: 'DISCONNECTED' });
    expect((error as Error).message).toContain('at most once');
    socket.goOnline();
    // The durable one is re-sent as before; the fast one is not.
    expect((socket.bodies('request') as RequestFrame[]).map((f) => f.id)).toEqual(['r-1', 'r-2', 'r-2']);
    socket.request('r-2').ack?.({ ok: true, id: 'r-2' });
    socket.respond(result('r-2', 0, 'ok'));
    await expect(durable).resolves.toBe('ok');
  });

  it('sends a fast request made while offline once connected, as before', async () => {
    const { socket, backend } = setup({ connected: false });
    const call = backend.makeBackendRequest('echo', 'x', { fast: true });
    socket.goOnline();
    socket.request('r-1').ack?.({ ok: true, id: 'r-1', response: result('r-1', 0, 'x') });
    await expect(call).resolves.toBe('x');
  });
});
