import { afterEach, describe, expect, it, vi } from 'vitest';
import { createBackend, createMemorySessionStore, type ConnectOptions } from '../src/index.ts';
import { createFakeSocket, result } from './fake-socket.ts';
import { rejectionOf, setup } from './setup.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('connection status', () => {
  it('starts connecting, and reports each change to subscribers with a stable snapshot', () => {
    const { socket, backend } = setup({ connected: false });
    const seen: string[] = [];
    const unsubscribe = backend.subscribe(() => seen.push(backend.status()));
    const first = backend.getSnapshot();
    expect(first).toEqual({ status: 'connecting', sessionId: null });
    expect(backend.getSnapshot()).toBe(first);
    socket.goOnline();
    socket.goOffline();
    socket.serverEmit('connect_error', new Error('refused')); // socket.io keeps retrying
    socket.goOnline();
    expect(seen).toEqual(['connected', 'reconnecting', 'connected']);
    unsubscribe();
    socket.goOffline();
    expect(seen).toHaveLength(3);
    expect(backend.status()).toBe('reconnecting');
  });

  it('keeps one broken subscriber from starving the others', () => {
    const { socket, backend } = setup({ connected: false });
    const calls: string[] = [];
    backend.subscribe(() => {
      throw new Error('bad subscriber');
    });
    backend.subscribe(() => calls.push(backend.status()));
    socket.goOnline();
    expect(calls).toEqual(['connected']);
  });

  it('goes offline on close', () => {
    const { socket, backend } = setup();
    backend.close();
    expect(backend.getSnapshot()).toEqual({ status: 'offline', sessionId: null });
    expect(socket.connected).toBe(false);
    expect(socket.listenerCount()).toBe(0);
  });
});

describe('requests across connection changes', () => {
  it('holds requests made while disconnected until the socket connects', async () => {
    const { socket, backend } = setup({ connected: false });
    const call = backend.makeBackendRequest('t', { a: 1 });
    expect(socket.emitted).toEqual([]);
    socket.goOnline();
    expect(socket.request('r-1').body).toMatchObject({ id: 'r-1', type: 't', payload: { a: 1 } });
    socket.respond(result('r-1', 0, 'ok'));
    await expect(call).resolves.toBe('ok');
  });

  it('runs the deadline while waiting for a connection and sends nothing on timeout', async () => {
    const { socket, backend } = setup({ connected: false });
    await expect(backend.makeBackendRequest('t', {}, { timeoutMs: 20 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    socket.goOnline();
    expect(socket.emitted).toEqual([]);
  });

  it('sends the remaining budget, not the original one, after waiting', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const { socket, backend } = setup({ connected: false });
    void backend.makeBackendRequest('t', {}, { timeoutMs: 10_000 }).catch(() => undefined);
    vi.advanceTimersByTime(4000);
    socket.goOnline();
    expect(socket.request('r-1').body).toMatchObject({ timeoutMs: 6000 });
  });

  it('re-emits a request that was sent but not acked, with the same id, after reconnect', async () => {
    const { socket, backend } = setup();
    const unacked = backend.makeBackendRequest('t', 'unacked');
    const accepted = backend.makeBackendRequest('t', 'accepted');
    socket.request('r-2').ack?.({ ok: true, id: 'r-2' });
    socket.goOffline();
    socket.goOnline();
    const requests = socket.bodies('request') as Array<{ id: string }>;
    expect(requests.map((r) => r.id)).toEqual(['r-1', 'r-2', 'r-1']);
    // the ack of the lost send, if it ever came, must not count
    socket.emitted[0]?.ack?.({ ok: false, error: { code: 'INTERNAL', message: 'stale' } });
    socket.request('r-1').ack?.({ ok: true, id: 'r-1' });
    // accepted requests survive: their responses come through the resumed session
    socket.respond(result('r-2', 0, 'second'));
    socket.respond(result('r-1', 0, 'first'));
    await expect(unacked).resolves.toBe('first');
    await expect(accepted).resolves.toBe('second');
  });

  it('sends the cancel of a request aborted while disconnected once it reconnects', async () => {
    const { socket, backend } = setup();
    const controller = new AbortController();
    const call = backend.makeBackendRequest('t', {}, { signal: controller.signal });
    socket.request('r-1').ack?.({ ok: true, id: 'r-1' });
    socket.goOffline();
    controller.abort();
    await expect(call).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(socket.bodies('cancel')).toEqual([]);
    socket.goOnline();
    expect(socket.bodies('cancel')).toEqual([{ id: 'r-1', type: 't' }]);
    expect(socket.bodies('request')).toHaveLength(1);
  });

  it('reconnects by itself after the server kicked it', () => {
    vi.useFakeTimers();
    const { socket, backend } = setup();
    socket.goOffline('io server disconnect');
    expect(backend.status()).toBe('reconnecting');
    expect(socket.connectCalls).toBe(0);
    vi.advanceTimersByTime(250);
    expect(socket.connectCalls).toBe(1);
    socket.serverEmit('connect_error', new Error('still down')); // socket.io retries from here on
    vi.advanceTimersByTime(10_000);
    expect(socket.connectCalls).toBe(1);
    socket.goOnline();
    expect(backend.status()).toBe('connected');
  });

  it('retries with backoff while the gateway refuses with a retryable code', () => {
    vi.useFakeTimers();
    const { socket, backend } = setup({ connected: false });
    const refuse = (): void => {
      socket.active = false;
      socket.serverEmit('connect_error', Object.assign(new Error('draining'), { data: { code: 'SHUTTING_DOWN' } }));
    };
    refuse();
    expect(backend.status()).toBe('connecting');
    vi.advanceTimersByTime(250);
    expect(socket.connectCalls).toBe(1);
    refuse();
    vi.advanceTimersByTime(499);
    expect(socket.connectCalls).toBe(1);
    vi.advanceTimersByTime(1);
    expect(socket.connectCalls).toBe(2);
  });

  it('goes offline and rejects with the refusal code when the gateway refuses the connection', async () => {
    const { socket, backend } = setup({ connected: false });
    const pending = backend.makeBackendRequest('t', {});
    socket.active = false;
    socket.serverEmit('connect_error', Object.assign(new Error('bad token'), { data: { code: 'UNAUTHORIZED' } }));
    expect(backend.status()).toBe('offline');
    await expect(pending).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(backend.makeBackendRequest('t', {})).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('close() rejects everything pending with DISCONNECTED and cancels what the gateway knows', async () => {
    const { socket, backend } = setup();
    const sent = backend.makeBackendRequest('t', {});
    socket.request('r-1').ack?.({ ok: true, id: 'r-1' });
    backend.logger.info('bye');
    backend.close();
    backend.close(); // idempotent
    await expect(sent).rejects.toMatchObject({ code: 'DISCONNECTED' });
    expect(socket.bodies('cancel')).toEqual([{ id: 'r-1', type: 't' }]);
    expect(socket.bodies('client-log')).toEqual([{ entries: [expect.objectContaining({ msg: 'bye' })] }]);
    const error = await rejectionOf(backend.makeBackendRequest('t', {}));
    expect(error).toMatchObject({ code: 'DISCONNECTED' });
  });

  it('close() resolves once the engine has flushed and closed, or after a second if it never does', async () => {
    vi.useFakeTimers();
    try {
      // socket.io-client's engine emits `close` once what was written before the disconnect has left.
      const engineListeners: (() => void)[] = [];
      const engine = { readyState: 'open', once: (_event: 'close', listener: () => void) => engineListeners.push(listener) };
      const socket = Object.assign(createFakeSocket(), { io: { engine } });
      const backend = createBackend({ url: 'http://gateway.test', sessionStore: createMemorySessionStore(), connect: () => socket });
      let done = false;
      const closing = backend.close().then(() => (done = true));
      expect(backend.close()).toBe(backend.close()); // one close, one promise
      await vi.advanceTimersByTimeAsync(500);
      expect(done).toBe(false);
      for (const listener of engineListeners) listener();
      await closing;
      expect(done).toBe(true);

      const stuck = Object.assign(createFakeSocket(), { io: { engine: { readyState: 'open', once: () => undefined } } });
      const other = createBackend({ url: 'http://gateway.test', sessionStore: createMemorySessionStore(), connect: () => stuck });
      let capped = false;
      void other.close().then(() => (capped = true));
      await vi.advanceTimersByTimeAsync(999);
      expect(capped).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(capped).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('session', () => {
  it('stores the token, exposes the session id and sends the token on the next connect', () => {
    const socket = createFakeSocket();
    const sessionStore = createMemorySessionStore();
    let options: ConnectOptions | undefined;
    const backend = createBackend({
      url: 'http://gateway.test',
      sessionStore,
      connect: (_url, given) => {
        options = given;
        return socket;
      },
    });
    try {
      const auth = (): unknown => {
        let data: unknown;
        options?.auth((d) => (data = d));
        return data;
      };
      expect(options).toMatchObject({ transports: ['websocket'], reconnectionDelay: 250, reconnectionDelayMax: 5000 });
      // What it can receive rides along on every connect: `responses` frames (response-batches), answers in acks (fast-answers).
      expect(auth()).toEqual({ capabilities: ['response-batches', 'fast-answers', 'cumulative-acks', 'data-bytes'] });
      socket.serverEmit('session', { sessionId: 's-1', token: 's-1.sig' });
      expect(sessionStore.get()).toBe('s-1.sig');
      expect(backend.getSnapshot()).toEqual({ status: 'connected', sessionId: 's-1' });
      expect(auth()).toEqual({ session: 's-1.sig', capabilities: ['response-batches', 'fast-answers', 'cumulative-acks', 'data-bytes'] });
    } finally {
      backend.close();
    }
  });

  it('fails accepted requests with DISCONNECTED when the gateway starts a new session', async () => {
    const { socket, backend } = setup();
    socket.serverEmit('session', { sessionId: 's-1', token: 't1' });
    const accepted = backend.makeBackendRequest('t', {});
    const unacked = backend.makeBackendRequest('t', {});
    socket.request('r-1').ack?.({ ok: true, id: 'r-1' });
    socket.goOffline();
    socket.goOnline();
    socket.serverEmit('session', { sessionId: 's-2', token: 't2' });
    await expect(accepted).rejects.toMatchObject({ code: 'DISCONNECTED' });
    // the unacked one was re-sent in the new session and still completes
    socket.respond(result('r-2', 0, 'fine'));
    await expect(unacked).resolves.toBe('fine');
    expect(backend.getSnapshot().sessionId).toBe('s-2');
  });
});

describe('options', () => {
  it.each([
    [{}, /options\.url/],
    [{ url: '' }, /options\.url/],
    [{ url: 'ftp://x' }, /options\.url/],
    [{ url: 'http://x', defaultTimeoutMs: -5 }, /options\.defaultTimeoutMs/],
    [{ url: 'http://x', defaultTimeoutMs: 100_000_000 }, /options\.defaultTimeoutMs/],
    [{ url: 'http://x', connect: 'nope' }, /options\.connect/],
    [{ url: 'http://x', sessionStore: {} }, /options\.sessionStore/],
    [{ url: 'http://x', createId: 1 }, /options\.createId/],
    [{ url: 'http://x', log: { batchSize: 0 } }, /options\.log\.batchSize/],
  ])('rejects %j naming the field', (options, message) => {
    const connect = vi.fn(() => createFakeSocket());
    expect(() => createBackend({ connect, ...options } as never)).toThrow(message);
    expect(connect).not.toHaveBeenCalled();
  });
});
