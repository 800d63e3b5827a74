// Request batches through the backend (capability request-batches): a
// gateway whose session frame lists it gets the requests of one tick as one
// `requests` frame, and each request settles from its slot of the ack as it
// would from its own ack. Any other gateway, or any connection before its
// session frame, gets `request` frames.
import { describe, expect, it } from 'vitest';
import { CAPABILITIES, type RequestFrame } from '@warren/protocol';
import { CURRENT_GATEWAY_SESSION, result } from './fake-socket.ts';
import { flushMicrotasks, rejectionOf, setup } from './setup.ts';

const BATCHING_GATEWAY = { ...CURRENT_GATEWAY_SESSION, capabilities: [...CURRENT_GATEWAY_SESSION.capabilities, CAPABILITIES.requestBatches] };
const ids = (body: unknown) => (body as RequestFrame[]).map((f) => f.id);

describe('request batches', () => {
  it("sends a tick's requests as one `requests` frame; each settles from its slot of the ack", async () => {
    const { socket, backend } = setup({ session: BATCHING_GATEWAY });
    const calls = ['a', 'b', 'c'].map((n) => backend.makeBackendRequest('echo', { n }));
    await flushMicrotasks();
    const frames = socket.emitted.filter((e) => e.event === 'requests' || e.event === 'request');
    expect(frames.map((e) => e.event)).toEqual(['requests']);
    expect(frames[0]!.body).toEqual([
      { id: 'r-1', type: 'echo', payload: { n: 'a' }, timeoutMs: expect.any(Number) },
      { id: 'r-2', type: 'echo', payload: { n: 'b' }, timeoutMs: expect.any(Number) },
      { id: 'r-3', type: 'echo', payload: { n: 'c' }, timeoutMs: expect.any(Number) },
    ]);
    frames[0]!.ack?.([
      { ok: true, id: 'r-1' },
      { ok: false, id: 'r-2', error: { code: 'RATE_LIMITED', message: 'slow down' } },
      { ok: true, id: 'r-3' },
    ]);
    expect(await rejectionOf(calls[1]!)).toMatchObject({ code: 'RATE_LIMITED' });
    socket.respond(result('r-1', 0, 'one'));
    socket.respond(result('r-3', 0, 'three'));
    await expect(calls[0]).resolves.toBe('one');
    await expect(calls[2]).resolves.toBe('three');
  });

  it("keeps each frame's requests, fields included, under the gateway's payload limit (its frame limit is above it)", async () => {
    const { socket, backend } = setup({ session: { ...BATCHING_GATEWAY, limits: { maxPayloadBytes: 400 } } });
    const text = 'x'.repeat(100); // a frame of about 100 + 80 + id + type bytes each: two fit in 400
    const calls = Array.from({ length: 5 }, () => backend.makeBackendRequest('echo', text));
    await flushMicrotasks();
    const sizes = socket.emitted.map((e) => (e.event === 'requests' ? (e.body as unknown[]).length : 1));
    expect(sizes).toEqual([2, 2, 1]);
    for (const e of socket.emitted.filter((f) => f.event === 'requests')) expect(JSON.stringify(e.body).length).toBeLessThan(400);
    for (const call of calls) void call.catch(() => {});
  });

  it('fails every request of a frame the gateway refused whole', async () => {
    const { socket, backend } = setup({ session: BATCHING_GATEWAY });
    const outcomes = [backend.makeBackendRequest('echo', 1), backend.makeBackendRequest('echo', 2)].map(rejectionOf);
    await flushMicrotasks();
    socket.emitted.find((e) => e.event === 'requests')!.ack?.({ ok: false, error: { code: 'INVALID_REQUEST', message: 'Invalid requests frame' } });
    for (const outcome of outcomes) expect(await outcome).toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('sends `request` frames to a gateway that does not list request-batches, and before the session frame', async () => {
    const older = setup({ session: CURRENT_GATEWAY_SESSION });
    void older.backend.makeBackendRequest('echo', 1).catch(() => {});
    void older.backend.makeBackendRequest('echo', 2).catch(() => {});
    await flushMicrotasks();
    expect(older.socket.bodies('requests')).toEqual([]);
    expect(older.socket.bodies('request')).toHaveLength(2);

    const early = setup(); // connected, no session frame yet
    void early.backend.makeBackendRequest('echo', 1).catch(() => {});
    void early.backend.makeBackendRequest('echo', 2).catch(() => {});
    await flushMicrotasks();
    expect(early.socket.bodies('requests')).toEqual([]);
    expect(early.socket.bodies('request')).toHaveLength(2);
  });

  it('stops batching when the connection drops, until the next session frame lists it again', async () => {
    const { socket, backend } = setup({ session: BATCHING_GATEWAY });
    const calls = [backend.makeBackendRequest('echo', 1), backend.makeBackendRequest('echo', 2)];
    await flushMicrotasks();
    expect(socket.bodies('requests')).toHaveLength(1);
    socket.goOffline();
    socket.goOnline(); // connect (unacked requests go again at once, one by one), then the session frame
    await flushMicrotasks();
    expect(socket.bodies('request').map((b) => (b as RequestFrame).id)).toEqual(['r-1', 'r-2']);
    const after = [backend.makeBackendRequest('echo', 3), backend.makeBackendRequest('echo', 4)];
    await flushMicrotasks();
    expect(socket.bodies('requests').map(ids)).toEqual([
      ['r-1', 'r-2'],
      ['r-3', 'r-4'],
    ]);
    for (const call of [...calls, ...after]) void call.catch(() => {});
  });

  it('never sends a request aborted while it waited for its frame, nor a cancel for it', async () => {
    const { socket, backend } = setup({ session: BATCHING_GATEWAY });
    const controller = new AbortController();
    const calls = [backend.makeBackendRequest('echo', 1, { signal: controller.signal }), backend.makeBackendRequest('echo', 2)];
    const outcomes = calls.map(rejectionOf);
    controller.abort();
    await flushMicrotasks();
    expect(socket.emitted.map((e) => [e.event, (e.body as RequestFrame).id])).toEqual([['request', 'r-2']]);
    expect(await outcomes[0]).toMatchObject({ code: 'CANCELLED' });
    void outcomes[1]!.catch(() => {});
  });

  it('sends a cancel after the frame that carried its request', async () => {
    const { socket, backend } = setup({ session: BATCHING_GATEWAY });
    const controller = new AbortController();
    const calls = [backend.makeBackendRequest('echo', 1, { signal: controller.signal }), backend.makeBackendRequest('echo', 2)];
    await flushMicrotasks();
    socket.emitted[0]!.ack?.([
      { ok: true, id: 'r-1' },
      { ok: true, id: 'r-2' },
    ]);
    const third = backend.makeBackendRequest('echo', 3);
    const fourth = backend.makeBackendRequest('echo', 4);
    controller.abort(); // in the same tick as r-3 and r-4: they go first
    expect(socket.emitted.map((e) => e.event)).toEqual(['requests', 'requests', 'cancel']);
    expect(socket.bodies('cancel')).toEqual([{ id: 'r-1', type: 'echo' }]);
    for (const call of [...calls, third, fourth]) void call.catch(() => {});
  });
});
