// The worker's side of the fast lane (decision 0016): which types it consumes
// fast and announces fast, with a transport that has a fast lane (a memory
// transport plus a recording consumeFastRequests) and one that has none.
import { afterEach, describe, expect, it } from 'vitest';
import type { Announcement } from '@warren/protocol';
import type { RequestDelivery, Subscription, Transport } from '@warren/transport';
import { registerHandlers, type WorkerHandle } from '@warren/worker';
import { createHarness, final, quietLog, sleep } from './harness.ts';

const handles: WorkerHandle[] = [];
afterEach(async () => {
  await Promise.all(handles.splice(0).map((w) => w.close()));
});

const withFastLane = (inner: Transport) => {
  const consumed: Array<{ type: string; prefetch: number; listener: (d: RequestDelivery) => void }> = [];
  const transport: Transport = {
    ...inner,
    async consumeFastRequests(type, listener, { prefetch }) {
      consumed.push({ type, prefetch, listener });
      return { pause: async () => {}, close: async () => {} } satisfies Subscription;
    },
  };
  return { transport, consumed };
};

const announcedTypes = async (h: ReturnType<typeof createHarness>) => {
  const seen: Announcement[] = [];
  await h.gateway.consumeAnnouncements((m) => seen.push(m));
  return () => seen.flatMap((m) => (m.kind === 'announce' ? m.types : []));
};

describe('registerHandlers with the fast lane', () => {
  it('consumes and announces fast only the listed types, prefetch = concurrency, and still serves them durable', async () => {
    const h = createHarness();
    const types = await announcedTypes(h);
    const { transport, consumed } = withFastLane(h.workerTransport());
    handles.push(
      await registerHandlers(
        { service: 'fast', transport, log: quietLog, concurrency: 3, fast: ['lookup'] },
        { lookup: (p: number) => p + 1, write: () => 'ok' },
      ),
    );
    await sleep(5);
    expect(consumed.map(({ type, prefetch }) => ({ type, prefetch }))).toEqual([{ type: 'lookup', prefetch: 3 }]);
    expect(types()).toEqual([{ type: 'lookup', fast: true }, { type: 'write' }]);
    expect(final(await (await h.call('lookup', 1)).done)).toMatchObject({ kind: 'result', data: 2 });
  });

  it('`fast: true` covers every type', async () => {
    const h = createHarness();
    const { transport, consumed } = withFastLane(h.workerTransport());
    handles.push(await registerHandlers({ service: 'fast', transport, log: quietLog, fast: true }, { a: () => 1, b: () => 2 }));
    expect(consumed.map((c) => c.type)).toEqual(['a', 'b']);
  });

  it('announces nothing fast on a transport without a fast lane (memory)', async () => {
    const h = createHarness();
    const types = await announcedTypes(h);
    handles.push(await registerHandlers({ service: 'fast', transport: h.workerTransport(), log: quietLog, fast: true }, { a: () => 1 }));
    await sleep(5);
    expect(types()).toEqual([{ type: 'a' }]);
  });

  it('refuses a fast type it has no handler for', async () => {
    const h = createHarness();
    await expect(registerHandlers({ service: 'fast', transport: h.workerTransport(), log: quietLog, fast: ['nope'] }, { a: () => 1 })).rejects.toThrow(
      /fast names "nope"/,
    );
  });
});
