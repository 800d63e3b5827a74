// The framework-free request store: every state, overlapping sends,
// restarts, progress and detaching, without React in the way.
import { describe, expect, it } from 'vitest';
import { createRequestStore, type RequestStoreOptions } from '../src/index.ts';
import { createFakeBackend, flush } from './fake-backend.ts';

const setup = (options: RequestStoreOptions = {}) => {
  const fake = createFakeBackend();
  const store = createRequestStore<{ total: number }, { text?: string; progress?: number }, { n: number }>({
    backend: fake.backend,
    type: 'work',
    options,
  });
  let notified = 0;
  store.subscribe(() => notified++);
  return { ...fake, store, notified: () => notified };
};

describe('createRequestStore', () => {
  it('starts idle', () => {
    const { store } = setup();
    expect(store.getSnapshot()).toMatchObject({ status: 'idle', chunks: [], attempt: 0, queued: 0 });
  });

  it('goes pending → streaming → success and resolves send with the result', async () => {
    const { store, calls } = setup({ timeoutMs: 5000 });
    const outcome = store.send({ n: 2 });
    expect(store.getSnapshot()).toMatchObject({ status: 'pending', attempt: 1, data: undefined });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ type: 'work', payload: { n: 2 } });
    expect(calls[0]!.options.timeoutMs).toBe(5000);
    calls[0]!.chunk({ text: 'a' });
    expect(store.getSnapshot()).toMatchObject({ status: 'streaming', chunks: [{ text: 'a' }] });
    calls[0]!.chunk({ text: 'b' });
    calls[0]!.resolve({ total: 2 });
    expect(await outcome).toEqual({ status: 'success', data: { total: 2 } });
    expect(store.getSnapshot()).toMatchObject({ status: 'success', data: { total: 2 }, chunks: [{ text: 'a' }, { text: 'b' }] });
  });

  it('turns a rejection into status error with the WarrenError', async () => {
    const { store, calls } = setup();
    const outcome = store.send({ n: 1 });
    calls[0]!.reject('WORKER_ERROR', 'boom');
    const result = await outcome;
    expect(result.status).toBe('error');
    expect(store.getSnapshot().status).toBe('error');
    expect(store.getSnapshot().error).toMatchObject({ code: 'WORKER_ERROR', message: 'boom' });
  });

  it('cancel() aborts the signal and shows cancelled at once', async () => {
    const { store, calls } = setup();
    const outcome = store.send({ n: 1 });
    calls[0]!.chunk({ text: 'a' });
    store.cancel();
    expect(calls[0]!.aborted).toBe(true);
    expect(store.getSnapshot()).toMatchObject({ status: 'cancelled', chunks: [{ text: 'a' }] });
    expect(store.getSnapshot().error?.code).toBe('CANCELLED');
    expect((await outcome).status).toBe('cancelled');
    await flush();
    expect(store.getSnapshot().status).toBe('cancelled'); // the late rejection changes nothing
  });

  it('a CANCELLED from the backend reads as cancelled, not error', async () => {
    const { store, calls } = setup();
    const outcome = store.send({ n: 1 });
    calls[0]!.reject('CANCELLED');
    expect((await outcome).status).toBe('cancelled');
    expect(store.getSnapshot().status).toBe('cancelled');
  });

  it('exposes progress from chunks and keeps the last one through chunks without it', () => {
    const { store, calls } = setup();
    void store.send({ n: 1 });
    calls[0]!.chunk({ progress: 0.25 });
    expect(store.getSnapshot().progress).toBe(0.25);
    calls[0]!.chunk({ text: 'no progress here' });
    expect(store.getSnapshot().progress).toBe(0.25);
    calls[0]!.chunk({ progress: 7 }); // out of range: ignored
    expect(store.getSnapshot().progress).toBe(0.25);
    calls[0]!.chunk({ progress: 1 });
    expect(store.getSnapshot().progress).toBe(1);
  });

  it('a restart (higher attempt) starts chunks and progress over instead of mixing attempts', () => {
    const { store, calls } = setup();
    void store.send({ n: 1 });
    calls[0]!.chunk({ text: 'a1', progress: 0.5 });
    calls[0]!.restart(2);
    expect(store.getSnapshot()).toMatchObject({ status: 'pending', attempt: 2, chunks: [], progress: undefined });
    calls[0]!.chunk({ text: 'a2' });
    expect(store.getSnapshot()).toMatchObject({ status: 'streaming', attempt: 2, chunks: [{ text: 'a2' }] });
  });

  it('a chunk of a higher attempt without onRestart still replaces the old chunks', () => {
    const { store, calls } = setup();
    void store.send({ n: 1 });
    calls[0]!.chunk({ text: 'a1' });
    calls[0]!.chunk({ text: 'b1' }, 3);
    expect(store.getSnapshot()).toMatchObject({ attempt: 3, chunks: [{ text: 'b1' }] });
  });

  it("concurrent 'cancel' (default): a new send cancels the running one", async () => {
    const { store, calls } = setup();
    const first = store.send({ n: 1 });
    calls[0]!.chunk({ text: 'old' });
    const second = store.send({ n: 2 });
    expect(calls[0]!.aborted).toBe(true);
    expect((await first).status).toBe('cancelled');
    expect(store.getSnapshot()).toMatchObject({ status: 'pending', chunks: [] });
    calls[0]!.chunk({ text: 'late' }); // ignored: no longer shown
    calls[1]!.resolve({ total: 2 });
    expect(await second).toEqual({ status: 'success', data: { total: 2 } });
    expect(store.getSnapshot().chunks).toEqual([]);
  });

  it("concurrent 'queue': sends run one after another, in order", async () => {
    const { store, calls } = setup({ concurrent: 'queue' });
    const first = store.send({ n: 1 });
    const second = store.send({ n: 2 });
    const third = store.send({ n: 3 });
    expect(calls).toHaveLength(1);
    expect(store.getSnapshot().queued).toBe(2);
    calls[0]!.resolve({ total: 1 });
    expect(await first).toEqual({ status: 'success', data: { total: 1 } });
    expect(calls).toHaveLength(2);
    expect(calls[1]!.payload).toEqual({ n: 2 });
    expect(store.getSnapshot()).toMatchObject({ status: 'pending', queued: 1 });
    calls[1]!.reject('WORKER_ERROR');
    expect((await second).status).toBe('error');
    calls[2]!.resolve({ total: 3 });
    expect(await third).toEqual({ status: 'success', data: { total: 3 } });
    expect(calls[0]!.aborted || calls[1]!.aborted).toBe(false);
  });

  it('cancel() with a queue cancels the running request and drops the queued ones', async () => {
    const { store, calls } = setup({ concurrent: 'queue' });
    const first = store.send({ n: 1 });
    const second = store.send({ n: 2 });
    store.cancel();
    expect((await first).status).toBe('cancelled');
    expect((await second).status).toBe('cancelled');
    expect(calls).toHaveLength(1);
    expect(store.getSnapshot()).toMatchObject({ status: 'cancelled', queued: 0 });
  });

  it('reset() cancels and returns to idle', async () => {
    const { store, calls } = setup();
    const outcome = store.send({ n: 1 });
    calls[0]!.chunk({ text: 'a' });
    store.reset();
    expect(calls[0]!.aborted).toBe(true);
    expect((await outcome).status).toBe('cancelled');
    expect(store.getSnapshot()).toMatchObject({ status: 'idle', chunks: [], attempt: 0, error: undefined });
  });

  it('per-send timeoutMs overrides the option', () => {
    const { store, calls } = setup({ timeoutMs: 5000 });
    void store.send({ n: 1 }, { timeoutMs: 1000 });
    expect(calls[0]!.options.timeoutMs).toBe(1000);
  });

  it('maxChunks keeps only the latest chunks', () => {
    const { store, calls } = setup({ maxChunks: 2 });
    void store.send({ n: 1 });
    for (const text of ['a', 'b', 'c']) calls[0]!.chunk({ text });
    expect(store.getSnapshot().chunks).toEqual([{ text: 'b' }, { text: 'c' }]);
  });

  it('keeps the same snapshot object until something changes', () => {
    const { store, notified } = setup();
    const before = store.getSnapshot();
    store.cancel(); // nothing running: nothing changes
    expect(store.getSnapshot()).toBe(before);
    expect(notified()).toBe(0);
  });

  it('detach() cancels in-flight and queued work unless re-attached at once', async () => {
    const { store, calls } = setup({ concurrent: 'queue' });
    const first = store.send({ n: 1 });
    const second = store.send({ n: 2 });
    store.detach();
    store.attach(); // StrictMode's simulated unmount/remount
    await flush();
    expect(calls[0]!.aborted).toBe(false);
    store.detach(); // the real unmount
    await flush();
    expect(calls[0]!.aborted).toBe(true);
    expect((await first).status).toBe('cancelled');
    expect((await second).status).toBe('cancelled');
    expect((await store.send({ n: 3 })).status).toBe('cancelled');
    expect(calls).toHaveLength(1);
  });

  it('an identical send replayed during a StrictMode remount joins the running request', async () => {
    const { store, calls } = setup();
    const first = store.send({ n: 1 });
    store.detach();
    store.attach();
    const replayed = store.send({ n: 1 });
    expect(calls).toHaveLength(1);
    calls[0]!.resolve({ total: 1 });
    expect(await replayed).toEqual(await first);
    // Outside that window the same payload is a new request.
    await flush();
    void store.send({ n: 1 });
    expect(calls).toHaveLength(2);
  });
});
