import { describe, expect, it } from 'vitest';
import type { Announcement, Response } from '@warren/protocol';
import { createMemoryBroker, memoryTransport, type RequestDelivery, type RequestMessage } from '@warren/transport';

const request = (id: string, extra: Partial<RequestMessage> = {}): RequestMessage => ({
  id,
  type: 'work',
  payload: { n: id },
  session: 's1',
  ...extra,
});
const tick = () => new Promise((r) => setTimeout(r, 5));

describe('memory transport', () => {
  it('rejects a type no queue serves with NO_HANDLER', async () => {
    const t = memoryTransport(createMemoryBroker());
    await expect(t.publishRequest(request('a', { type: 'nobody' }))).rejects.toMatchObject({ code: 'NO_HANDLER' });
  });

  it('keeps requests in a queue that outlives its consumer', async () => {
    const broker = createMemoryBroker();
    const t = memoryTransport(broker);
    const sub = await t.consumeRequests('work', (d) => d.ack(), { prefetch: 1 });
    await sub.close();
    await t.publishRequest(request('a'));
    expect(broker.depth('work')).toBe(1);
    const got: string[] = [];
    await t.consumeRequests(
      'work',
      (d) => {
        got.push(d.request.id);
        d.ack();
      },
      { prefetch: 1 },
    );
    await tick();
    expect(got).toEqual(['a']);
  });

  it('honours prefetch and spreads work across competing consumers', async () => {
    const t = memoryTransport(createMemoryBroker());
    const held: RequestDelivery[][] = [[], []];
    await t.consumeRequests('work', (d) => held[0]!.push(d), { prefetch: 2 });
    await t.consumeRequests('work', (d) => held[1]!.push(d), { prefetch: 2 });
    for (const id of ['a', 'b', 'c', 'd', 'e', 'f']) await t.publishRequest(request(id));
    await tick();
    expect(held.map((h) => h.length)).toEqual([2, 2]);
    held[0]![0]!.ack();
    await tick();
    expect(held[0]!.length + held[1]!.length).toBe(5);
  });

  it('returns unsettled requests to the queue with attempt + 1 and aborts `lost`', async () => {
    const t = memoryTransport(createMemoryBroker());
    const first: RequestDelivery[] = [];
    const sub = await t.consumeRequests('work', (d) => first.push(d), { prefetch: 5 });
    await t.publishRequest(request('a'));
    await tick();
    expect(first[0]!.attempt).toBe(1);
    await sub.close();
    expect(first[0]!.lost.aborted).toBe(true);
    const second: RequestDelivery[] = [];
    await t.consumeRequests('work', (d) => second.push(d), { prefetch: 5 });
    await tick();
    expect(second.map((d) => [d.request.id, d.attempt])).toEqual([['a', 2]]);
  });

  it('drops requests whose deadline passed before delivery', async () => {
    let now = 1000;
    const t = memoryTransport(createMemoryBroker({ now: () => now }));
    const got: string[] = [];
    const sub = await t.consumeRequests('work', () => {}, { prefetch: 1 });
    await sub.pause();
    await t.publishRequest(request('late', { deadline: 1500 }));
    await t.publishRequest(request('fine', { deadline: 5000 }));
    now = 2000;
    await t.consumeRequests(
      'work',
      (d) => {
        got.push(d.request.id);
        d.ack();
      },
      { prefetch: 5 },
    );
    await tick();
    expect(got).toEqual(['fine']);
  });

  it('delivers responses to the session queue in order, and redelivers unsettled ones to the next reader', async () => {
    const t = memoryTransport(createMemoryBroker());
    const seen: number[] = [];
    const sub = await t.consumeReplies(
      's1',
      (r, settle) => {
        seen.push(r.seq);
        if (r.seq === 0) settle();
      },
      { prefetch: 10 },
    );
    for (let seq = 0; seq < 3; seq++) await t.publishResponse('s1', { kind: 'chunk', id: 'a', seq, attempt: 1, data: seq });
    await tick();
    await sub.close();
    const again: Response[] = [];
    await t.consumeReplies(
      's1',
      (r, settle) => {
        again.push(r);
        settle();
      },
      { prefetch: 10 },
    );
    await tick();
    expect(seen).toEqual([0, 1, 2]);
    expect(again.map((r) => r.seq)).toEqual([1, 2]);
  });

  it('reports a response to a session that never declared its queue as unroutable, like a mandatory publish', async () => {
    const t = memoryTransport(createMemoryBroker());
    const response: Response = { kind: 'result', id: 'a', seq: 0, attempt: 1, data: 1 };
    expect(await t.publishResponse('nobody', response)).toBe('unroutable');
    const sub = await t.consumeReplies('s2', () => {}, { prefetch: 1 });
    await sub.close();
    // The queue outlives its consumer: answers wait for the session's next socket.
    expect(await t.publishResponse('s2', response)).toBe('delivered');
  });

  it('routes cancels by request type only', async () => {
    const t = memoryTransport(createMemoryBroker());
    const got: string[] = [];
    await t.consumeCancels(['work'], (c) => got.push(c.id));
    await t.publishCancel('other', { id: 'x', session: 's' });
    await t.publishCancel('work', { id: 'y', session: 's' });
    await tick();
    expect(got).toEqual(['y']);
  });

  it('copies messages as a wire would', async () => {
    const t = memoryTransport(createMemoryBroker());
    const payload = { nested: { n: 1 } };
    let received: unknown;
    await t.consumeRequests(
      'work',
      (d) => {
        received = d.request.payload;
        d.ack();
      },
      { prefetch: 1 },
    );
    await t.publishRequest(request('a', { payload }));
    payload.nested.n = 2;
    await tick();
    expect(received).toEqual({ nested: { n: 1 } });
  });

  it('dead-letters a request that used up its deliveries, and one that expired', async () => {
    let now = 1000;
    const t = memoryTransport(createMemoryBroker({ now: () => now }));
    const dead: { id: string; reason: string; deliveries: number }[] = [];
    await t.consumeDeadLetters((d, settle) => {
      dead.push(d);
      settle();
    });
    // A consumer that never settles and keeps dying: the poison pattern.
    for (let i = 0; i < 7; i++) {
      const sub = await t.consumeRequests('work', () => {}, { prefetch: 1 });
      if (i === 0) await t.publishRequest(request('poison'));
      await tick();
      await sub.close();
    }
    const paused = await t.consumeRequests('work', () => {}, { prefetch: 1 });
    await paused.pause();
    await t.publishRequest(request('late', { deadline: 1500 }));
    now = 2000;
    await t.consumeRequests('work', () => {}, { prefetch: 1 });
    await tick();
    expect(dead).toEqual([
      // The request itself comes along, for inspection and replay (the operations console).
      {
        id: 'poison',
        type: 'work',
        session: 's1',
        reason: 'delivery_limit',
        deliveries: 6,
        request: expect.objectContaining({ id: 'poison', payload: { n: 'poison' } }),
      },
      { id: 'late', type: 'work', session: 's1', reason: 'expired', deliveries: 0, request: expect.objectContaining({ id: 'late' }) },
    ]);
  });
});

describe('memory transport registry', () => {
  const announce = (instanceId: string): Announcement => ({
    kind: 'announce',
    protocolVersion: 1,
    service: 'svc',
    instanceId,
    language: 'typescript',
    sdkVersion: '0.1.0',
    concurrency: 2,
    heartbeatMs: 5000,
    ttlMs: 15000,
    startedAt: 1,
    sentAt: 2,
    types: [{ type: 'work', payload: { type: 'object' } }],
  });

  it('fans every announcement out to every consumer, as a copy', async () => {
    const broker = createMemoryBroker();
    const a = memoryTransport(broker);
    const b = memoryTransport(broker);
    const seenA: Announcement[] = [];
    const seenB: Announcement[] = [];
    await a.consumeAnnouncements((m) => seenA.push(m));
    await b.consumeAnnouncements((m) => seenB.push(m));
    const message = announce('i1');
    await memoryTransport(broker).announce(message);
    await memoryTransport(broker).announce({ kind: 'withdraw', protocolVersion: 1, service: 'svc', instanceId: 'i1', sentAt: 3 });
    await tick();
    expect(seenA.map((m) => m.kind)).toEqual(['announce', 'withdraw']);
    expect(seenB).toEqual(seenA);
    expect(seenA[0]).toEqual(message);
    expect(seenA[0]).not.toBe(seenB[0]);
  });

  it('keeps nothing for late consumers and stops delivering after close', async () => {
    const broker = createMemoryBroker();
    const t = memoryTransport(broker);
    await t.announce(announce('early'));
    const seen: string[] = [];
    const sub = await t.consumeAnnouncements((m) => seen.push(m.instanceId));
    await t.announce(announce('on-time'));
    await tick();
    await sub.close();
    await t.announce(announce('late'));
    await tick();
    expect(seen).toEqual(['on-time']);
  });

  it('drops a malformed announcement, like the RabbitMQ consumer does', async () => {
    const t = memoryTransport(createMemoryBroker());
    const seen: unknown[] = [];
    await t.consumeAnnouncements((m) => seen.push(m));
    await t.announce({ ...announce('x'), concurrency: 0 } as Announcement);
    await tick();
    expect(seen).toEqual([]);
  });
});
