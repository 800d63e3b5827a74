// Retained calls (a request with a `key`, issue 15) over a fake socket: the
// call store, attaching after a reload, re-attaching after a reconnect,
// EXPIRED, queued positions and cancel. The gateway's half (replaying every
// response from seq 0 on each attach, ids rewritten to the attaching frame's)
// is played by the test.
import { afterEach, describe, expect, it } from 'vitest';
import {
  CALL_STORAGE_KEY,
  createBackend,
  createDefaultCallStore,
  createMemoryCallStore,
  createMemorySessionStore,
  createRequestStore,
  type CallStore,
  type RetainedCall,
} from '../src/index.ts';
import { chunk, createFakeSocket, failure, result, sequentialIds, type FakeSocket } from './fake-socket.ts';
import { flushMicrotasks, rejectionOf, setup } from './setup.ts';

/** A call store that records what the backend does with it. */
const recordingStore = () => {
  const inner = createMemoryCallStore();
  const log: string[] = [];
  const store: CallStore = {
    get: (key) => {
      log.push(`get ${key}`);
      return inner.get(key);
    },
    set: (key, call) => {
      log.push(`set ${key} ${call.id} ${call.type}`);
      inner.set(key, call);
    },
    delete: (key) => {
      log.push(`delete ${key}`);
      inner.delete(key);
    },
  };
  return { store, log };
};

/** An attach frame as the client sends it: no payload, the wait's own deadline. */
const attachFrame = (id: string, key: string) => ({ id, type: 'work', key, attach: true, timeoutMs: expect.any(Number) });

/** A second page load of the same tab: a new backend and socket over the same stores. */
const reload = (callStore: CallStore, prefix = 'p2-') => {
  let n = 0;
  return setup({ callStore, createId: () => `${prefix}${++n}` });
};

describe('a keyed call', () => {
  it('sends its key with the request and is remembered in the call store before it is sent', async () => {
    const { store, log } = recordingStore();
    const { socket, backend } = setup({ callStore: store, connected: false });
    const call = backend.makeBackendRequest('work', { n: 1 }, { key: 'turn-1', timeoutMs: 5000 });
    expect(log).toEqual(['set turn-1 r-1 work']); // a reload right now must find it
    expect(socket.emitted).toEqual([]);
    socket.goOnline();
    const body = socket.request('r-1').body;
    expect(body).toMatchObject({ id: 'r-1', type: 'work', payload: { n: 1 }, key: 'turn-1' });
    expect(body).not.toHaveProperty('attach');
    socket.request('r-1').ack?.({ ok: true, id: 'r-1' });
    socket.respond(result('r-1', 0, 'done'));
    await expect(call).resolves.toBe('done');
    // A finished call stays, so a reload shows its result.
    expect(backend.retainedCall('turn-1')).toMatchObject({ id: 'r-1', type: 'work' });
    expect(log).not.toContain('delete turn-1');
  });

  it('an unkeyed call touches no call store', async () => {
    const { store, log } = recordingStore();
    const { socket, backend } = setup({ callStore: store });
    const call = backend.makeBackendRequest('work', {});
    expect(socket.request('r-1').body).not.toHaveProperty('key');
    socket.respond(result('r-1', 0, 1));
    await call;
    expect(log).toEqual([]);
  });

  it('refuses a key outside the id pattern with INVALID_REQUEST, sending and storing nothing', async () => {
    const { store, log } = recordingStore();
    const { socket, backend } = setup({ callStore: store });
    for (const key of ['', 'has space', 'x'.repeat(129), 'slash/no']) {
      await expect(backend.makeBackendRequest('work', {}, { key })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    }
    expect(socket.emitted).toEqual([]);
    expect(log).toEqual([]);
  });

  it('is forgotten when the gateway refuses it before taking it (nothing runs under that key)', async () => {
    const { socket, backend } = setup();
    const call = backend.makeBackendRequest('work', {}, { key: 'k1' });
    socket.request('r-1').ack?.({ ok: false, id: 'r-1', error: { code: 'INVALID_PAYLOAD', message: 'n: required' } });
    await expect(call).rejects.toMatchObject({ code: 'INVALID_PAYLOAD' });
    expect(backend.retainedCall('k1')).toBeUndefined();
  });

  it('stays remembered when it fails with a worker error or is cancelled: the call exists and a reload shows how it ended', async () => {
    const { socket, backend } = setup();
    const failed = backend.makeBackendRequest('work', {}, { key: 'k1' });
    socket.request('r-1').ack?.({ ok: true, id: 'r-1' });
    socket.respond(failure('r-1', 0, 'WORKER_ERROR', 'boom'));
    await expect(failed).rejects.toMatchObject({ code: 'WORKER_ERROR' });
    const controller = new AbortController();
    const cancelled = backend.makeBackendRequest('work', {}, { key: 'k2', signal: controller.signal });
    socket.request('r-2').ack?.({ ok: true, id: 'r-2' });
    controller.abort();
    await expect(cancelled).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(backend.retainedCall('k1')?.id).toBe('r-1');
    expect(backend.retainedCall('k2')?.id).toBe('r-2');
  });

  it('forget(key) removes it from the call store', () => {
    const { backend } = setup();
    void backend.makeBackendRequest('work', {}, { key: 'k1' }).catch(() => undefined);
    expect(backend.retainedCall('k1')).toBeDefined();
    backend.forget('k1');
    expect(backend.retainedCall('k1')).toBeUndefined();
  });

  it('passes its key through stream()', async () => {
    const { socket, backend } = setup();
    const positions: number[] = [];
    const stream = backend.stream('work', {}, { key: 'k-stream', onQueued: (p) => positions.push(p) });
    expect(socket.request('r-1').body).toMatchObject({ key: 'k-stream' });
    socket.serverEmit('queued', { id: 'r-1', position: 1 });
    socket.respond(chunk('r-1', 0, 'a'));
    socket.respond(result('r-1', 1, 'end'));
    const seen: unknown[] = [];
    for await (const c of stream) seen.push(c);
    expect(seen).toEqual(['a']);
    expect(positions).toEqual([1]);
    await expect(stream.result).resolves.toBe('end');
  });
});

describe('attach after a reload', () => {
  it('attaches by key with a fresh id, shows every chunk once from the first, then the live ones and the result', async () => {
    const callStore = createMemoryCallStore();
    const first = setup({ callStore });
    void first.backend.makeBackendRequest('work', {}, { key: 'job-7' }).catch(() => undefined);
    first.socket.request('r-1').ack?.({ ok: true, id: 'r-1' });
    first.socket.respond(chunk('r-1', 0, 'a'));
    first.socket.respond(chunk('r-1', 1, 'b'));
    // The page reloads: nothing of the first page runs any more.
    const second = reload(callStore);
    expect(second.backend.retainedCall('job-7')).toMatchObject({ id: 'r-1', type: 'work' });
    const seen: Array<[unknown, number]> = [];
    const call = second.backend.attach('work', 'job-7', { onChunk: (c, meta) => seen.push([c, meta.seq]) });
    const sent = second.socket.request('p2-1');
    expect(sent.body).toEqual(attachFrame('p2-1', 'job-7'));
    sent.ack?.({ ok: true, id: 'p2-1', attached: true });
    // The gateway replays the retained responses under the attaching id, then the live ones.
    for (const frame of [chunk('p2-1', 0, 'a'), chunk('p2-1', 1, 'b'), chunk('p2-1', 1, 'b'), chunk('p2-1', 2, 'c'), chunk('p2-1', 0, 'a')]) {
      expect(second.socket.respond(frame)).toBe(true); // acked, duplicates too, so the gateway can settle them
    }
    second.socket.respond(result('p2-1', 3, 'abc'));
    await expect(call).resolves.toBe('abc');
    expect(seen).toEqual([
      ['a', 0],
      ['b', 1],
      ['c', 2],
    ]);
    // Attaching starts nothing new: the store still names the call the first page sent.
    expect(second.backend.retainedCall('job-7')?.id).toBe('r-1');
  });

  it('a finished call attached after a reload resolves with its result and runs nothing', async () => {
    const callStore = createMemoryCallStore();
    callStore.set('done-1', { id: 'old', type: 'work', startedAt: 1 });
    const { socket, backend } = reload(callStore);
    const call = backend.attach('work', 'done-1');
    socket.request('p2-1').ack?.({ ok: true, id: 'p2-1', attached: true });
    socket.respond(chunk('p2-1', 0, 'a'));
    socket.respond(result('p2-1', 1, 'all done'));
    await expect(call).resolves.toBe('all done');
    expect(socket.bodies('request')).toHaveLength(1);
    expect(socket.bodies('request')[0]).not.toHaveProperty('payload');
  });

  it('EXPIRED in the ack rejects and clears the call store', async () => {
    const callStore = createMemoryCallStore();
    callStore.set('gone', { id: 'old', type: 'work', startedAt: 1 });
    const { socket, backend } = reload(callStore);
    const call = backend.attach('work', 'gone');
    socket.request('p2-1').ack?.({ ok: false, id: 'p2-1', error: { code: 'EXPIRED', message: 'no call under this key' } });
    expect(await rejectionOf(call)).toMatchObject({ code: 'EXPIRED', message: 'no call under this key' });
    expect(callStore.get('gone')).toBeUndefined();
  });

  it('EXPIRED as an error response clears the call store too', async () => {
    const callStore = createMemoryCallStore();
    const { socket, backend } = setup({ callStore });
    const call = backend.makeBackendRequest('work', {}, { key: 'k1' });
    socket.request('r-1').ack?.({ ok: true, id: 'r-1' });
    socket.respond(failure('r-1', 0, 'EXPIRED', 'retention over'));
    await expect(call).rejects.toMatchObject({ code: 'EXPIRED' });
    expect(callStore.get('k1')).toBeUndefined();
  });

  it('a refused attach other than EXPIRED keeps the entry (the call may still be there)', async () => {
    const callStore = createMemoryCallStore();
    callStore.set('k1', { id: 'old', type: 'work', startedAt: 1 });
    const { socket, backend } = reload(callStore);
    const call = backend.attach('work', 'k1');
    socket.request('p2-1').ack?.({ ok: false, id: 'p2-1', error: { code: 'RATE_LIMITED', message: 'slow down' } });
    await expect(call).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    expect(callStore.get('k1')).toBeDefined();
  });
});

describe('reconnects', () => {
  it('attaches again to every accepted keyed call, under a fresh id; no gap, no duplicate', async () => {
    const { socket, backend } = setup();
    const seen: unknown[] = [];
    const keyed = backend.makeBackendRequest('work', { n: 1 }, { key: 'k1', onChunk: (c) => seen.push(c) });
    const plain = backend.makeBackendRequest('work', { n: 2 });
    socket.request('r-1').ack?.({ ok: true, id: 'r-1' });
    socket.request('r-2').ack?.({ ok: true, id: 'r-2' });
    socket.respond(chunk('r-1', 0, 'a'));
    socket.respond(chunk('r-1', 1, 'b'));
    socket.goOffline();
    socket.goOnline();
    const requests = socket.bodies('request');
    expect(requests).toHaveLength(3); // the unkeyed call waits for its session's replies: not re-sent
    // A fresh id: the gateway may still hold r-1 as claimed, and an attach under it would be a duplicate.
    expect(requests[2]).toEqual(attachFrame('r-3', 'k1'));
    socket.request('r-3').ack?.({ ok: true, id: 'r-3', attached: true });
    // Replay from seq 0 under the new id, then what the worker sent while the socket was away.
    for (const frame of [chunk('r-3', 0, 'a'), chunk('r-3', 1, 'b'), chunk('r-3', 2, 'c'), chunk('r-3', 3, 'd')]) socket.respond(frame);
    expect(socket.respond(chunk('r-1', 4, 'stale id'))).toBe(true); // nothing answers under the old id any more: acked, ignored
    socket.respond(result('r-3', 4, 'abcd'));
    await expect(keyed).resolves.toBe('abcd');
    expect(seen).toEqual(['a', 'b', 'c', 'd']);
    socket.respond(result('r-2', 0, 'plain'));
    await expect(plain).resolves.toBe('plain');
  });

  it('re-attaches after every reconnect, and a higher attempt in the replay restarts the stream as today', async () => {
    const { socket, backend } = setup();
    const events: string[] = [];
    const call = backend.makeBackendRequest(
      'work',
      {},
      { key: 'k1', onChunk: (c, m) => events.push(`${c}@${m.attempt}`), onRestart: (a) => events.push(`restart ${a}`) },
    );
    socket.request('r-1').ack?.({ ok: true, id: 'r-1' });
    socket.respond(chunk('r-1', 0, 'a'));
    for (const id of ['r-2', 'r-3']) {
      socket.goOffline();
      socket.goOnline();
      socket.request(id).ack?.({ ok: true, id, attached: true });
    }
    expect(socket.bodies('request').filter((b) => (b as { attach?: boolean }).attach === true)).toEqual([attachFrame('r-2', 'k1'), attachFrame('r-3', 'k1')]);
    // The worker was lost meanwhile: the replay holds attempt 1's chunk, then attempt 2's.
    socket.respond(chunk('r-3', 0, 'a', 1));
    socket.respond(chunk('r-3', 0, 'x', 2));
    socket.respond(chunk('r-3', 0, 'a', 1)); // stale: dropped
    socket.respond(result('r-3', 1, 'x!', 2));
    await expect(call).resolves.toBe('x!');
    expect(events).toEqual(['a@1', 'restart 2', 'x@2']);
  });

  it('a keyed request the gateway had not acked before the drop is sent again as a request, payload and key, under a fresh id', async () => {
    const { socket, backend } = setup();
    const call = backend.makeBackendRequest('work', { n: 1 }, { key: 'k1' });
    socket.goOffline();
    socket.goOnline();
    const again = socket.bodies('request')[1];
    // Had the gateway taken the first copy, the key attaches this one to it: it never runs twice.
    expect(again).toMatchObject({ id: 'r-2', type: 'work', payload: { n: 1 }, key: 'k1' });
    expect(again).not.toHaveProperty('attach');
    socket.request('r-2').ack?.({ ok: true, id: 'r-2', attached: true });
    socket.respond(result('r-2', 0, 'once'));
    await expect(call).resolves.toBe('once');
    expect(backend.retainedCall('k1')?.id).toBe('r-1'); // the store names the call as it was first sent
  });

  it('a keyed request queued before the first connect goes out under its own id', () => {
    const { socket, backend } = setup({ connected: false });
    void backend.makeBackendRequest('work', {}, { key: 'k1' }).catch(() => undefined);
    socket.goOnline();
    expect(socket.bodies('request')).toEqual([expect.objectContaining({ id: 'r-1', key: 'k1' })]);
  });

  it('a keyed call cancelled while offline is cancelled on reconnect: attach under its key, then cancel that id', async () => {
    const { socket, backend } = setup();
    const controller = new AbortController();
    const call = backend.makeBackendRequest('work', {}, { key: 'k1', signal: controller.signal });
    socket.request('r-1').ack?.({ ok: true, id: 'r-1' });
    socket.goOffline();
    controller.abort();
    await expect(call).rejects.toMatchObject({ code: 'CANCELLED' });
    socket.goOnline();
    // r-1 meant nothing to the gateway once the socket left; the key still names the call.
    expect(socket.bodies('cancel')).toEqual([]);
    const attach = socket.request('r-2');
    expect(attach.body).toEqual({ id: 'r-2', type: 'work', key: 'k1', attach: true });
    attach.ack?.({ ok: true, id: 'r-2', attached: true });
    expect(socket.bodies('cancel')).toEqual([{ id: 'r-2', type: 'work' }]);
    expect(socket.respond(chunk('r-2', 0, 'replayed'))).toBe(true); // acked and ignored
  });

  it('a re-attach answered EXPIRED rejects and forgets the key', async () => {
    const { socket, backend } = setup();
    const call = backend.makeBackendRequest('work', {}, { key: 'k1' });
    socket.request('r-1').ack?.({ ok: true, id: 'r-1' });
    socket.goOffline();
    socket.goOnline();
    socket.request('r-2').ack?.({ ok: false, id: 'r-2', error: { code: 'EXPIRED', message: 'gone' } });
    await expect(call).rejects.toMatchObject({ code: 'EXPIRED' });
    expect(backend.retainedCall('k1')).toBeUndefined();
  });

  it('a new gateway session fails accepted unkeyed calls but re-attaches keyed ones', async () => {
    const { socket, backend } = setup();
    socket.serverEmit('session', { sessionId: 's-1', token: 't1' });
    const keyed = backend.makeBackendRequest('work', {}, { key: 'k1' });
    const plain = backend.makeBackendRequest('work', {});
    socket.request('r-1').ack?.({ ok: true, id: 'r-1' });
    socket.request('r-2').ack?.({ ok: true, id: 'r-2' });
    socket.goOffline();
    socket.goOnline();
    socket.serverEmit('session', { sessionId: 's-2', token: 't2' });
    await expect(plain).rejects.toMatchObject({ code: 'DISCONNECTED' });
    expect(socket.request('r-3').body).toEqual(attachFrame('r-3', 'k1'));
    socket.respond(result('r-3', 0, 'still here'));
    await expect(keyed).resolves.toBe('still here');
  });

  it('cancel of a keyed call sends the cancel frame under the id that attached', async () => {
    const callStore = createMemoryCallStore();
    callStore.set('k1', { id: 'old', type: 'work', startedAt: 1 });
    const { socket, backend } = reload(callStore);
    const controller = new AbortController();
    const call = backend.attach('work', 'k1', { signal: controller.signal });
    socket.request('p2-1').ack?.({ ok: true, id: 'p2-1', attached: true });
    socket.respond(chunk('p2-1', 0, 'a'));
    controller.abort();
    await expect(call).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(socket.bodies('cancel')).toEqual([{ id: 'p2-1', type: 'work' }]);
  });
});

describe('queued frames', () => {
  it('report the position to onQueued as it changes; malformed frames and other ids are ignored', async () => {
    const { socket, backend } = setup();
    const positions: number[] = [];
    const call = backend.makeBackendRequest('work', {}, { onQueued: (p) => positions.push(p) });
    socket.request('r-1').ack?.({ ok: true, id: 'r-1' });
    socket.serverEmit('queued', { id: 'r-1', position: 3 });
    socket.serverEmit('queued', { id: 'r-1', position: -1 });
    socket.serverEmit('queued', { id: 'r-1', position: 1.5 });
    socket.serverEmit('queued', { id: 'other', position: 9 });
    socket.serverEmit('queued', 'nonsense');
    socket.serverEmit('queued', { id: 'r-1', position: 2 });
    socket.serverEmit('queued', { id: 'r-1', position: 0 });
    socket.respond(result('r-1', 0, 'ok'));
    await call;
    socket.serverEmit('queued', { id: 'r-1', position: 0 }); // settled: nobody to tell
    expect(positions).toEqual([3, 2, 0]);
  });

  it('a throwing onQueued is reported, not thrown into the socket', async () => {
    const { socket, backend } = setup();
    const call = backend.makeBackendRequest(
      'work',
      {},
      {
        onQueued: () => {
          throw new Error('bad callback');
        },
      },
    );
    expect(() => socket.serverEmit('queued', { id: 'r-1', position: 1 })).not.toThrow();
    socket.respond(result('r-1', 0, 'ok'));
    await expect(call).resolves.toBe('ok');
  });

  it("show as status 'queued' with the position in a request store, until the first chunk", async () => {
    const { socket, backend } = setup();
    const store = createRequestStore<string, string>({ backend, type: 'work' });
    void store.send({});
    socket.serverEmit('queued', { id: 'r-1', position: 4 });
    expect(store.getSnapshot()).toMatchObject({ status: 'queued', position: 4 });
    socket.serverEmit('queued', { id: 'r-1', position: 1 });
    expect(store.getSnapshot()).toMatchObject({ status: 'queued', position: 1 });
    socket.respond(chunk('r-1', 0, 'a'));
    expect(store.getSnapshot()).toMatchObject({ status: 'streaming', position: undefined, chunks: ['a'] });
    socket.serverEmit('queued', { id: 'r-1', position: 0 }); // late: the call left the queue
    expect(store.getSnapshot().status).toBe('streaming');
    socket.respond(result('r-1', 1, 'done'));
    await flushMicrotasks();
    expect(store.getSnapshot()).toMatchObject({ status: 'success', data: 'done', position: undefined });
  });

  it("a first position of 0 leaves the store 'pending' (next, or already with a worker); once queued, 0 shows as next", () => {
    const { socket, backend } = setup();
    const store = createRequestStore<string, string>({ backend, type: 'work' });
    void store.send({});
    socket.serverEmit('queued', { id: 'r-1', position: 0 });
    expect(store.getSnapshot()).toMatchObject({ status: 'pending', position: undefined });
    socket.serverEmit('queued', { id: 'r-1', position: 2 });
    expect(store.getSnapshot()).toMatchObject({ status: 'queued', position: 2 });
    socket.serverEmit('queued', { id: 'r-1', position: 0 });
    expect(store.getSnapshot()).toMatchObject({ status: 'queued', position: 0 });
  });
});

describe('a request store with a key', () => {
  it('attaches when its owner mounts after a reload and shows the call from its first chunk', async () => {
    const callStore = createMemoryCallStore();
    const first = setup({ callStore });
    const before = createRequestStore<string, string>({ backend: first.backend, type: 'work', options: { key: 'task' } });
    before.attach();
    expect(first.socket.emitted).toEqual([]); // nothing in the call store yet: nothing to attach to
    void before.send({ n: 1 });
    first.socket.request('r-1').ack?.({ ok: true, id: 'r-1' });
    first.socket.respond(chunk('r-1', 0, 'a'));

    const second = reload(callStore);
    const after = createRequestStore<string, string>({ backend: second.backend, type: 'work', options: { key: 'task' } });
    after.attach();
    expect(second.socket.request('p2-1').body).toEqual(attachFrame('p2-1', 'task'));
    expect(after.getSnapshot()).toMatchObject({ status: 'pending', key: 'task', chunks: [] });
    second.socket.respond(chunk('p2-1', 0, 'a'));
    second.socket.respond(chunk('p2-1', 1, 'b'));
    second.socket.respond(chunk('p2-1', 0, 'a'));
    expect(after.getSnapshot()).toMatchObject({ status: 'streaming', chunks: ['a', 'b'] });
    second.socket.respond(result('p2-1', 2, 'ab'));
    await flushMicrotasks();
    expect(after.getSnapshot()).toMatchObject({ status: 'success', data: 'ab', chunks: ['a', 'b'] });
  });

  it('a per-send key overrides the option, and reset() forgets the key shown', async () => {
    const { socket, backend } = setup();
    const store = createRequestStore<string, string>({ backend, type: 'work', options: { key: 'default' } });
    void store.send({}, { key: 'turn-2' });
    expect(socket.request('r-1').body).toMatchObject({ key: 'turn-2' });
    expect(store.getSnapshot().key).toBe('turn-2');
    socket.respond(result('r-1', 0, 'ok'));
    await flushMicrotasks();
    expect(backend.retainedCall('turn-2')).toBeDefined();
    store.reset();
    expect(backend.retainedCall('turn-2')).toBeUndefined();
    expect(store.getSnapshot()).toMatchObject({ status: 'idle', key: undefined });
  });

  it('an attach on mount answered EXPIRED shows the error and leaves no key behind', async () => {
    const callStore = createMemoryCallStore();
    callStore.set('old', { id: 'x', type: 'work', startedAt: 1 });
    const { socket, backend } = reload(callStore);
    const store = createRequestStore({ backend, type: 'work', options: { key: 'old' } });
    store.attach();
    socket.request('p2-1').ack?.({ ok: false, id: 'p2-1', error: { code: 'EXPIRED', message: 'gone' } });
    await flushMicrotasks();
    expect(store.getSnapshot()).toMatchObject({ status: 'error', error: { code: 'EXPIRED' } });
    expect(callStore.get('old')).toBeUndefined();
  });
});

describe('the call store', () => {
  it('is pluggable: the backend reads, writes and deletes through the one it is given', async () => {
    const { store, log } = recordingStore();
    const { socket, backend } = setup({ callStore: store });
    const call = backend.makeBackendRequest('work', {}, { key: 'k1' });
    socket.request('r-1').ack?.({ ok: true, id: 'r-1' });
    socket.respond(failure('r-1', 0, 'EXPIRED', 'gone'));
    await rejectionOf(call);
    expect(backend.retainedCall('k1')).toBeUndefined();
    expect(log).toEqual(['set k1 r-1 work', 'delete k1', 'get k1']);
  });

  it('a store that throws costs nothing but the memory of the call', async () => {
    const broken: CallStore = {
      get: () => {
        throw new Error('no');
      },
      set: () => {
        throw new Error('no');
      },
      delete: () => {
        throw new Error('no');
      },
    };
    const { socket, backend } = setup({ callStore: broken });
    const call = backend.makeBackendRequest('work', {}, { key: 'k1' });
    socket.respond(failure('r-1', 0, 'EXPIRED', 'gone'));
    await expect(call).rejects.toMatchObject({ code: 'EXPIRED' });
    expect(backend.retainedCall('k1')).toBeUndefined();
    expect(() => backend.forget('k1')).not.toThrow();
  });

  it('is checked at construction, naming the option', () => {
    const socket: FakeSocket = createFakeSocket();
    const bad = { get: () => undefined, set: () => undefined } as unknown as CallStore;
    expect(() => createBackend({ url: 'http://gateway.test', connect: () => socket, callStore: bad })).toThrow(/options\.callStore must be/);
  });

  it('memory store keeps the newest 100 entries', () => {
    const store = createMemoryCallStore();
    for (let i = 0; i < 105; i++) store.set(`k${i}`, { id: `r${i}`, type: 't', startedAt: i });
    expect(store.get('k4')).toBeUndefined();
    expect(store.get('k5')?.id).toBe('r5');
    expect(store.get('k104')?.id).toBe('r104');
  });
});

describe('the default call store', () => {
  const original = Object.getOwnPropertyDescriptor(globalThis, 'sessionStorage');
  /** A sessionStorage stand-in (Node has none): the same two methods the store uses. */
  const installSessionStorage = () => {
    const data = new Map<string, string>();
    const storage = {
      getItem: (key: string) => data.get(key) ?? null,
      setItem: (key: string, value: string) => {
        data.set(key, value);
      },
    };
    Object.defineProperty(globalThis, 'sessionStorage', { value: storage, configurable: true, writable: true });
    return data;
  };
  afterEach(() => {
    if (original) Object.defineProperty(globalThis, 'sessionStorage', original);
    else delete (globalThis as { sessionStorage?: unknown }).sessionStorage;
  });

  it("lives in sessionStorage under 'warren.calls', so the next page load of the tab reads it back", () => {
    const data = installSessionStorage();
    const call: RetainedCall = { id: 'r-1', type: 'work', startedAt: 5 };
    createDefaultCallStore().set('k1', call);
    expect(CALL_STORAGE_KEY).toBe('warren.calls');
    expect(JSON.parse(data.get('warren.calls') ?? '')).toEqual({ k1: call });
    const afterReload = createDefaultCallStore();
    expect(afterReload.get('k1')).toEqual(call);
    afterReload.delete('k1');
    expect(JSON.parse(data.get('warren.calls') ?? '')).toEqual({});
  });

  it('is what createBackend uses when given none', () => {
    const data = installSessionStorage();
    const socket = createFakeSocket();
    const backend = createBackend({ url: 'http://gateway.test', connect: () => socket, createId: sequentialIds(), sessionStore: createMemorySessionStore() });
    try {
      void backend.makeBackendRequest('work', {}, { key: 'k1' }).catch(() => undefined);
      expect(JSON.parse(data.get('warren.calls') ?? '')).toMatchObject({ k1: { id: 'r-1', type: 'work' } });
    } finally {
      backend.close();
    }
  });

  it('ignores unreadable contents and keeps the newest 100 entries', () => {
    const data = installSessionStorage();
    data.set('warren.calls', '{not json');
    const store = createDefaultCallStore();
    expect(store.get('k1')).toBeUndefined();
    data.set('warren.calls', JSON.stringify({ ok: { id: 'a', type: 't', startedAt: 1 }, bad: { id: 3 } }));
    expect(store.get('ok')?.id).toBe('a');
    expect(store.get('bad')).toBeUndefined();
    for (let i = 0; i < 110; i++) store.set(`k${i}`, { id: `r${i}`, type: 't', startedAt: 10 + i });
    const kept = Object.keys(JSON.parse(data.get('warren.calls') ?? '{}'));
    expect(kept).toHaveLength(100);
    expect(kept).toContain('k109');
    expect(kept).not.toContain('ok');
  });

  it('falls back to memory where there is no sessionStorage (Node, Bun)', () => {
    delete (globalThis as { sessionStorage?: unknown }).sessionStorage;
    const store = createDefaultCallStore();
    store.set('k1', { id: 'r', type: 't', startedAt: 1 });
    expect(store.get('k1')?.id).toBe('r');
  });
});
