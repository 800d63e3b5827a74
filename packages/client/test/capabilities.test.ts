// What the gateway supports, read from its session frame's `capabilities`.
// A gateway from before retained calls strips `key` and `attach` from the
// request frame silently (a keyed call would run on every send, an attach
// would start the call), so the client sends neither until this
// connection's session frame lists `retained-calls`, and fails them unsent
// when it does not. The fake socket plays both kinds of gateway.
import { describe, expect, it } from 'vitest';
import { CAPABILITIES } from '@warren/protocol';
import { createMemoryCallStore } from '../src/index.ts';
import { CURRENT_GATEWAY_SESSION, result, type FakeSocket } from './fake-socket.ts';
import { rejectionOf, setup } from './setup.ts';

/** A session frame from a gateway built before capabilities existed: none listed. */
const OLDER_GATEWAY_SESSION = { sessionId: 's-1', token: 's-1.sig', limits: { maxPayloadBytes: 1_000_000 } };

const requests = (socket: FakeSocket) => socket.bodies('request') as Array<Record<string, unknown>>;

/** The socket connects (perhaps to another gateway); that gateway's session frame has not arrived yet. */
const connectAgain = (socket: FakeSocket): void => {
  socket.connected = true;
  socket.serverEmit('connect', undefined);
};
const reconnect = (socket: FakeSocket): void => {
  socket.goOffline();
  connectAgain(socket);
};

describe('a gateway whose session frame lacks retained calls', () => {
  it.each([
    ['an older gateway (no capabilities field)', OLDER_GATEWAY_SESSION],
    ['a gateway listing other capabilities only', { ...OLDER_GATEWAY_SESSION, capabilities: [CAPABILITIES.queuePositions] }],
  ])('%s: a keyed call fails INVALID_REQUEST at once, sends nothing and leaves no key; an unkeyed call still goes', async (_, session) => {
    const { socket, backend } = setup({ session });
    const error = await rejectionOf(backend.makeBackendRequest('work', { n: 1 }, { key: 'turn-1' }));
    expect(error).toMatchObject({ code: 'INVALID_REQUEST' });
    const message = (error as Error).message;
    expect(message).toContain('does not support retained calls (key/attach)');
    expect(message).toContain('Upgrade every gateway to a version whose session frame lists "retained-calls"');
    expect(message).toContain('or call without a key');
    expect(requests(socket)).toEqual([]);
    expect(backend.retainedCall('turn-1')).toBeUndefined(); // nothing runs under it
    const plain = backend.makeBackendRequest('work', { n: 2 });
    expect(requests(socket)).toEqual([expect.objectContaining({ id: 'r-2', payload: { n: 2 } })]);
    expect(requests(socket)[0]).not.toHaveProperty('key');
    socket.respond(result('r-2', 0, 'ok'));
    await expect(plain).resolves.toBe('ok');
  });

  it('attach fails INVALID_REQUEST at once and keeps the key (the call may be retained, for a gateway that can attach)', async () => {
    const callStore = createMemoryCallStore();
    callStore.set('k1', { id: 'old', type: 'work', startedAt: 1 });
    const { socket, backend } = setup({ session: OLDER_GATEWAY_SESSION, callStore });
    const error = await rejectionOf(backend.attach('work', 'k1'));
    expect(error).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('cannot attach: this gateway does not support retained calls') });
    expect(requests(socket)).toEqual([]); // an older gateway would have started the call
    expect(backend.retainedCall('k1')).toMatchObject({ id: 'old' });
  });

  it('a stream with a key fails the same way', async () => {
    const { socket, backend } = setup({ session: OLDER_GATEWAY_SESSION });
    const stream = backend.stream('work', {}, { key: 'k-stream' });
    await expect(stream.result).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    expect(requests(socket)).toEqual([]);
  });
});

describe('a keyed call waits for the session frame of its connection', () => {
  it('is not sent on connect; the session frame of a gateway with retained calls sends it, once', async () => {
    const { socket, backend } = setup({ connected: false });
    const keyed = backend.makeBackendRequest('work', { n: 1 }, { key: 'k1' });
    const plain = backend.makeBackendRequest('work', { n: 2 });
    socket.goOnline(); // this fake sends no session frame by itself
    // The unkeyed call goes at once, as before; the keyed one waits to learn what this gateway is.
    expect(requests(socket)).toEqual([expect.objectContaining({ id: 'r-2' })]);
    socket.serverEmit('session', CURRENT_GATEWAY_SESSION);
    expect(requests(socket)).toEqual([expect.objectContaining({ id: 'r-2' }), expect.objectContaining({ id: 'r-1', key: 'k1', payload: { n: 1 } })]);
    socket.serverEmit('session', { ...CURRENT_GATEWAY_SESSION, token: 's-1.refreshed' }); // the periodic refresh sends nothing again
    expect(requests(socket)).toHaveLength(2);
    socket.request('r-1').ack?.({ ok: true, id: 'r-1' });
    socket.respond(result('r-1', 0, 'keyed'));
    socket.respond(result('r-2', 0, 'plain'));
    await expect(keyed).resolves.toBe('keyed');
    await expect(plain).resolves.toBe('plain');
  });

  it('started while connected but before the session frame, it waits for that frame too', () => {
    const { socket, backend } = setup(); // connected, no session frame yet
    void backend.makeBackendRequest('work', {}, { key: 'k1' }).catch(() => undefined);
    expect(requests(socket)).toEqual([]);
    socket.serverEmit('session', CURRENT_GATEWAY_SESSION);
    expect(requests(socket)).toEqual([expect.objectContaining({ id: 'r-1', key: 'k1' })]);
  });

  it('a session frame read before the connect event (socket.io delivers buffered events first) sends it once', () => {
    const { socket, backend } = setup({ connected: false });
    void backend.makeBackendRequest('work', {}, { key: 'k1' }).catch(() => undefined);
    socket.connected = true;
    socket.serverEmit('session', CURRENT_GATEWAY_SESSION);
    socket.serverEmit('connect', undefined); // then the connect event
    expect(requests(socket)).toEqual([expect.objectContaining({ id: 'r-1', key: 'k1' })]);
  });

  it('reads a list holding names it does not know (a newer gateway) and still sends the key', () => {
    const { socket, backend } = setup({ session: { ...CURRENT_GATEWAY_SESSION, capabilities: ['retained-calls', 'from-the-future'] } });
    void backend.makeBackendRequest('work', {}, { key: 'k1' }).catch(() => undefined);
    expect(requests(socket)).toEqual([expect.objectContaining({ id: 'r-1', key: 'k1' })]);
    expect(backend.getSnapshot().sessionId).toBe('s-1');
  });
});

describe('a reconnect that reaches another gateway', () => {
  it('to an older one: the accepted keyed call is not re-attached (that would start it again) and fails, keeping its key', async () => {
    const { socket, backend } = setup({ session: CURRENT_GATEWAY_SESSION });
    const keyed = backend.makeBackendRequest('work', {}, { key: 'k1' });
    socket.request('r-1').ack?.({ ok: true, id: 'r-1' });
    reconnect(socket);
    expect(requests(socket)).toHaveLength(1); // nothing before the new gateway's session frame
    socket.serverEmit('session', OLDER_GATEWAY_SESSION);
    const error = await rejectionOf(keyed);
    expect(error).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('cannot attach') });
    expect(requests(socket)).toHaveLength(1);
    expect(backend.retainedCall('k1')).toMatchObject({ id: 'r-1' });
  });

  it('to an older one: a keyed call cancelled while offline sends no attach (it would start the call); to a current one it does', async () => {
    const { socket, backend } = setup({ session: CURRENT_GATEWAY_SESSION });
    const controller = new AbortController();
    const call = backend.makeBackendRequest('work', {}, { key: 'k1', signal: controller.signal });
    socket.request('r-1').ack?.({ ok: true, id: 'r-1' });
    socket.goOffline();
    controller.abort();
    await expect(call).rejects.toMatchObject({ code: 'CANCELLED' });
    connectAgain(socket);
    socket.serverEmit('session', OLDER_GATEWAY_SESSION);
    expect(requests(socket)).toHaveLength(1);
    expect(socket.bodies('cancel')).toEqual([]);

    // The same, ending on a current gateway: attach under the key, then cancel that id.
    const again = setup({ session: CURRENT_GATEWAY_SESSION });
    const second = new AbortController();
    const other = again.backend.makeBackendRequest('work', {}, { key: 'k2', signal: second.signal });
    again.socket.request('r-1').ack?.({ ok: true, id: 'r-1' });
    again.socket.goOffline();
    second.abort();
    await expect(other).rejects.toMatchObject({ code: 'CANCELLED' });
    connectAgain(again.socket);
    expect(requests(again.socket)).toHaveLength(1); // waits for the session frame
    again.socket.serverEmit('session', CURRENT_GATEWAY_SESSION);
    expect(requests(again.socket)[1]).toEqual({ id: 'r-2', type: 'work', key: 'k2', attach: true });
  });

  it('a keyed call cancelled between connect and the session frame is cancelled by key once the frame comes', async () => {
    const { socket, backend } = setup({ session: CURRENT_GATEWAY_SESSION });
    const controller = new AbortController();
    const call = backend.makeBackendRequest('work', {}, { key: 'k1', signal: controller.signal });
    socket.request('r-1').ack?.({ ok: true, id: 'r-1' });
    reconnect(socket); // connected, this gateway's session frame not read yet
    controller.abort();
    await expect(call).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(socket.bodies('cancel')).toEqual([]); // r-1 means nothing on this connection
    socket.serverEmit('session', CURRENT_GATEWAY_SESSION);
    const attach = socket.request('r-2');
    expect(attach.body).toEqual({ id: 'r-2', type: 'work', key: 'k1', attach: true });
    attach.ack?.({ ok: true, id: 'r-2', attached: true });
    expect(socket.bodies('cancel')).toEqual([{ id: 'r-2', type: 'work' }]);
  });

  it('from an older one back to a current one: keyed calls go out again', async () => {
    const { socket, backend } = setup({ session: OLDER_GATEWAY_SESSION });
    await expect(backend.makeBackendRequest('work', {}, { key: 'k1' })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    reconnect(socket);
    socket.serverEmit('session', CURRENT_GATEWAY_SESSION);
    const call = backend.makeBackendRequest('work', { n: 1 }, { key: 'k1' });
    expect(requests(socket)).toEqual([expect.objectContaining({ id: 'r-2', key: 'k1', payload: { n: 1 } })]);
    socket.request('r-2').ack?.({ ok: true, id: 'r-2' });
    socket.respond(result('r-2', 0, 'ran once'));
    await expect(call).resolves.toBe('ran once');
  });
});
