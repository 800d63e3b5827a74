// The transport's retained-call primitives (decision 0014), the same cases
// on RabbitMQ and on the memory transport: one claim wins, a call queue
// keeps its responses for every reader from the first, a second reader
// waits, a dropped or expired call is gone, and queue depth is read passively.
import { afterAll, describe, expect, it } from 'vitest';
import type { Response } from '@warren/protocol';
import { createAmqpTransport, createMemoryBroker, memoryTransport, type Subscription, type Transport } from '@warren/transport';
import { AMQP_URL, deleteNamespace, uniqueNamespace } from '../support/rabbit.ts';

const namespace = uniqueNamespace('h1callsq');
const opened: Transport[] = [];
afterAll(async () => {
  await Promise.all(opened.map((t) => t.close()));
  await deleteNamespace(namespace);
});

const memory = createMemoryBroker();
const kinds: Array<[string, () => Promise<Transport>]> = [
  ['memory', async () => memoryTransport(memory)],
  [
    'amqp',
    async () => {
      const t = await createAmqpTransport({ url: AMQP_URL, namespace, connectTimeoutMs: 5_000 });
      opened.push(t);
      return t;
    },
  ],
];

const waitFor = async (check: () => boolean, ms = 3_000) => {
  const until = Date.now() + ms;
  while (!check() && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  return check();
};
const callId = (name: string) => `${name}${'x'.repeat(32)}`.slice(0, 32);
const chunk = (id: string, seq: number): Response => ({ kind: 'chunk', id, seq, attempt: 1, data: seq });
const reader = async (t: Transport, call: string) => {
  const got: Response[] = [];
  let gone = false;
  const sub: Subscription = await t.consumeCall(call, { response: (r) => got.push(r), gone: () => (gone = true) });
  return { got, sub, gone: () => gone };
};

describe.each(kinds)('retained call queues (%s)', (kind, make) => {
  const replyTo = (call: string) => `${namespace}.call.${call}`;

  it('lets exactly one of several concurrent claims (on separate connections) declare the call', async () => {
    const transports = kind === 'amqp' ? await Promise.all([make(), make(), make()]) : [await make(), await make(), await make()];
    for (let round = 0; round < 5; round++) {
      const call = callId(`${kind}race${round}`);
      const outcomes = await Promise.all(transports.flatMap((t) => [t.claimCall(call, { retentionMs: 60_000 }), t.claimCall(call, { retentionMs: 60_000 })]));
      expect(outcomes.filter((o) => o === 'new')).toHaveLength(1);
      expect(await transports[0]!.callExists(call)).toBe(true);
      await transports[0]!.dropCall(call);
    }
  });

  it('keeps every response for each reader, from the first, in order; a second reader waits for the first', async () => {
    const t = await make();
    const call = callId(`${kind}keep`);
    expect(await t.claimCall(call, { retentionMs: 60_000 })).toBe('new');
    for (let seq = 0; seq < 3; seq++) expect(await t.publishResponse(call, chunk(call, seq), replyTo(call))).toBe('delivered');
    const first = await reader(t, call);
    expect(await waitFor(() => first.got.length === 3)).toBe(true);
    const second = await reader(t, call);
    expect(await t.publishResponse(call, chunk(call, 3), replyTo(call))).toBe('delivered');
    expect(await waitFor(() => first.got.length === 4)).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(second.got).toEqual([]);
    await first.sub.close();
    expect(await waitFor(() => second.got.length === 4)).toBe(true);
    expect(second.got.map((r) => r.seq)).toEqual([0, 1, 2, 3]);
    expect(first.got.map((r) => r.seq)).toEqual([0, 1, 2, 3]);
    await second.sub.close();
    const third = await reader(t, call);
    expect(await waitFor(() => third.got.length === 4)).toBe(true);
    expect(third.got.map((r) => r.seq)).toEqual([0, 1, 2, 3]);
    expect(await t.claimCall(call, { retentionMs: 60_000 })).toBe('existing');
    await third.sub.close();
    await t.dropCall(call);
  });

  it('tells a reader when the call is dropped, and a new one that it is gone', async () => {
    const t = await make();
    const call = callId(`${kind}drop`);
    await t.claimCall(call, { retentionMs: 60_000 });
    const r = await reader(t, call);
    await t.dropCall(call);
    expect(await waitFor(() => r.gone())).toBe(true);
    expect(await t.callExists(call)).toBe(false);
    expect(await t.publishResponse(call, chunk(call, 0), replyTo(call))).toBe('unroutable');
    const late = await reader(t, call);
    expect(await waitFor(() => late.gone())).toBe(true);
    await r.sub.close();
    await late.sub.close();
  });

  it('expires a call nobody reads after its retention, not while it is read', { timeout: 15_000 }, async () => {
    const t = await make();
    const call = callId(`${kind}expire`);
    await t.claimCall(call, { retentionMs: 800 });
    const r = await reader(t, call);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(await t.callExists(call)).toBe(true);
    await r.sub.close();
    // Quorum queues check x-expires on their periodic tick (about 5 s on
    // RabbitMQ 3.10), so a call outlives its retention by up to that much.
    // One check only: a passive declare renews a classic queue's lease.
    await new Promise((resolve) => setTimeout(resolve, kind === 'amqp' ? 7_000 : 1_500));
    expect(await t.callExists(call)).toBe(false);
  });

  it('reads a request queue depth passively, undefined for a queue nobody declared', async () => {
    const t = await make();
    expect(await t.queueDepth('nobody.serves.this')).toBeUndefined();
    const sub = await t.consumeRequests(`${kind}.depth`, () => {}, { prefetch: 1 });
    await sub.pause();
    for (let i = 0; i < 3; i++) await t.publishRequest({ id: `d${i}`, type: `${kind}.depth`, payload: i, session: 's' });
    const depth = await t.queueDepth(`${kind}.depth`);
    expect(depth?.ready).toBe(3);
    await sub.close();
  });

  it('answers parallel depth reads while one of them finds no queue', async () => {
    // On RabbitMQ the checks share a channel, which a 404 closes under the reads queued behind it.
    const t = await make();
    const sub = await t.consumeRequests(`${kind}.pdepth`, () => {}, { prefetch: 1 });
    await sub.pause();
    for (let i = 0; i < 2; i++) await t.publishRequest({ id: `p${i}`, type: `${kind}.pdepth`, payload: i, session: 's' });
    const types = [`${kind}.pdepth`, 'nobody.serves.this', `${kind}.pdepth`, `${kind}.pdepth`, 'nobody.serves.that', `${kind}.pdepth`];
    const depths = await Promise.all(types.map((type) => t.queueDepth(type)));
    expect(depths.map((d) => d?.ready)).toEqual([2, undefined, 2, 2, undefined, 2]);
    expect((await t.queueDepth(`${kind}.pdepth`))?.ready).toBe(2);
    await sub.close();
  });

  it('keeps the gateway working after many failed passive checks', async () => {
    const t = await make();
    for (let i = 0; i < 20; i++) expect(await t.callExists(callId(`${kind}none${i}`))).toBe(false);
    const call = callId(`${kind}after`);
    expect(await t.claimCall(call, { retentionMs: 60_000 })).toBe('new');
    expect(await t.publishResponse(call, chunk(call, 0), replyTo(call))).toBe('delivered');
    await t.dropCall(call);
  });
});
