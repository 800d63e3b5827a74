// A cancel that cannot be lost (packages/protocol/spec/v1/protocol.md, "Cancel message"): one sent
// while no worker runs is kept, and the worker that starts later answers the
// request CANCELLED without running it. On the memory transport, which keeps
// cancels for later consumers as the cancel stream does.
import { afterEach, describe, expect, it } from 'vitest';
import { CANCEL_STREAM } from '@warren/protocol';
import { registerHandlers, type WorkerHandle } from '@warren/worker';
import { createCancelMemory } from '../src/run-request.ts';
import { createHarness, final, quietLog } from './harness.ts';

const handles: WorkerHandle[] = [];
afterEach(async () => {
  await Promise.all(handles.splice(0).map((w) => w.close()));
});

describe('a cancel sent while no worker runs', () => {
  it('is honoured by the worker that starts later: CANCELLED, the handler never runs', async () => {
    const h = createHarness();
    let runs = 0;
    const handlers = {
      job: () => {
        runs += 1;
        return 'ran';
      },
    };
    // A worker declared the queue once, then went away.
    await (await registerHandlers({ service: 'test', transport: h.workerTransport(), log: quietLog }, handlers)).close();
    const queued = await h.call('job', null);
    const other = await h.call('job', null);
    await h.cancel('job', queued.id);
    expect(h.broker.depth('job')).toBe(2);

    handles.push(await registerHandlers({ service: 'test', transport: h.workerTransport(), log: quietLog }, handlers));
    expect(final(await queued.done)).toMatchObject({ kind: 'error', id: queued.id, error: { code: 'CANCELLED' } });
    // The one nobody cancelled still runs: the memory holds (session, id), not the type.
    expect(final(await other.done)).toMatchObject({ kind: 'result', data: 'ran' });
    expect(runs).toBe(1);
    expect(h.broker.depth('job')).toBe(0);
  });

  it('of another session does not cancel a request with the same id', async () => {
    const h = createHarness();
    let runs = 0;
    const handlers = { job: () => ++runs };
    await (await registerHandlers({ service: 'test', transport: h.workerTransport(), log: quietLog }, handlers)).close();
    const queued = await h.call('job', null);
    await h.cancel('job', queued.id, 'someone-else');
    handles.push(await registerHandlers({ service: 'test', transport: h.workerTransport(), log: quietLog }, handlers));
    expect(final(await queued.done)).toMatchObject({ kind: 'result', data: 1 });
  });
});

describe('memory transport: consumeCancels', () => {
  it('hands over every kept cancel of the served types before it resolves, then the live ones', async () => {
    const h = createHarness();
    await h.cancel('a', 'r-1');
    await h.cancel('b', 'r-2');
    const heard: string[] = [];
    const sub = await h.workerTransport().consumeCancels(['a'], (cancel, at) => heard.push(`${cancel.id}:${typeof at}`));
    expect(heard).toEqual(['r-1:number']);
    await h.cancel('a', 'r-3');
    await new Promise((r) => setTimeout(r, 0));
    expect(heard).toEqual(['r-1:number', 'r-3:number']);
    await sub.close();
  });
});

describe('cancel memory', () => {
  it('defaults cover the cancel stream: a day, 100 000 entries', () => {
    let now = 0;
    const memory = createCancelMemory({ now: () => now });
    memory.add('s', 'r');
    now = CANCEL_STREAM.memoryTtlMs - 1;
    expect(memory.has('s', 'r')).toBe(true);
    now = CANCEL_STREAM.memoryTtlMs;
    expect(memory.has('s', 'r')).toBe(false);
    expect(CANCEL_STREAM.memoryTtlMs).toBe(24 * 60 * 60 * 1000);
    expect(CANCEL_STREAM.memoryMaxEntries).toBe(100_000);
  });

  it('counts the age from when the cancel was sent, and hearing it again never extends it', () => {
    let now = 10_000;
    const memory = createCancelMemory({ ttlMs: 1000, now: () => now });
    memory.add('s', 'old', 9_500); // sent 500 ms ago
    now = 10_499;
    expect(memory.has('s', 'old')).toBe(true);
    memory.add('s', 'old'); // the live path, or the stream re-read after a reconnect
    now = 10_500;
    expect(memory.has('s', 'old')).toBe(false);
    // A sender's clock ahead of ours counts as now.
    memory.add('s', 'future', 99_999);
    now = 11_499;
    expect(memory.has('s', 'future')).toBe(true);
    now = 11_500;
    expect(memory.has('s', 'future')).toBe(false);
  });

  it('forgets the oldest beyond its count', () => {
    const memory = createCancelMemory({ max: 3 });
    for (const id of ['a', 'b', 'c', 'd']) memory.add('s', id);
    expect(['a', 'b', 'c', 'd'].map((id) => memory.has('s', id))).toEqual([false, true, true, true]);
  });
});
