// The gateway registry on its own: catalogue, expiry, conflicts and payload
// checks, over the memory transport with a controllable clock.
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { z } from 'zod';
import { contractJsonSchemas, defineContract, type Announce, type TypeAnnouncement } from '@warren/protocol';
import { createMemoryBroker, memoryTransport } from '@warren/transport';
import { createGatewayRegistry, type GatewayRegistry } from '../src/registry/index.ts';

const quiet = pino({ level: 'silent' });
const tick = () => new Promise((r) => setTimeout(r, 5));

const testRequest = contractJsonSchemas(
  defineContract({
    description: 'Streams count chunks.',
    payload: z.object({ count: z.number().int().min(0).default(3), tag: z.string().optional() }),
    chunk: z.object({ seq: z.number(), text: z.string() }),
    result: z.object({ count: z.number() }),
  }),
);

const announce = (instanceId: string, types: TypeAnnouncement[], extra: Partial<Announce> = {}): Announce => ({
  kind: 'announce',
  protocolVersion: 1,
  service: 'demo-node',
  instanceId,
  language: 'typescript',
  sdkVersion: '0.1.0',
  concurrency: 8,
  heartbeatMs: 1000,
  ttlMs: 3000,
  startedAt: 0,
  sentAt: 0,
  types,
  ...extra,
});

const registries: GatewayRegistry[] = [];
afterEach(async () => {
  await Promise.all(registries.splice(0).map((r) => r.close()));
});

const setup = async () => {
  let now = 1_000_000;
  const broker = createMemoryBroker();
  const registry = createGatewayRegistry({ now: () => now, sweepIntervalMs: 10_000 });
  registries.push(registry);
  await registry.start(memoryTransport(broker), quiet);
  const worker = memoryTransport(broker);
  const send = async (message: Parameters<typeof worker.announce>[0]) => {
    await worker.announce(message);
    await tick();
  };
  return { registry, send, advance: (ms: number) => (now += ms), now: () => now };
};

describe('gateway registry: the fast lane', () => {
  it('is served for a type while some live instance announces it fast, and no longer once that instance is gone', async () => {
    const { registry, send, advance } = await setup();
    await send(announce('slow-1', [{ type: 'lookup' }]));
    expect(registry.fastCapable('lookup')).toBe(false);
    expect(registry.catalogue().types).toEqual([expect.objectContaining({ type: 'lookup', fast: false })]);
    await send(announce('fast-1', [{ type: 'lookup', fast: true }], { heartbeatMs: 1000, ttlMs: 3000 }));
    expect(registry.fastCapable('lookup')).toBe(true);
    expect(registry.catalogue().types).toEqual([expect.objectContaining({ type: 'lookup', fast: true, instances: ['fast-1', 'slow-1'] })]);
    await send({ kind: 'withdraw', protocolVersion: 1, service: 'demo-node', instanceId: 'fast-1', sentAt: 0 });
    expect(registry.fastCapable('lookup')).toBe(false);
    expect(registry.fastCapable('unknown')).toBe(false);
    advance(10_000);
    registry.catalogue(); // sweeps
    expect(registry.fastCapable('lookup')).toBe(false);
  });
});

describe('gateway registry catalogue', () => {
  it('lists an announced instance and its types with their schemas', async () => {
    const { registry, send, now } = await setup();
    await send(announce('node-1', [{ type: 'testRequest', ...testRequest }]));
    const catalogue = registry.catalogue();
    expect(catalogue.instances).toEqual([
      expect.objectContaining({
        service: 'demo-node',
        instanceId: 'node-1',
        language: 'typescript',
        concurrency: 8,
        lastSeenAt: now(),
        expiresAt: now() + 3000,
        types: ['testRequest'],
      }),
    ]);
    expect(catalogue.types).toEqual([
      expect.objectContaining({
        type: 'testRequest',
        description: 'Streams count chunks.',
        payload: testRequest.payload,
        services: ['demo-node'],
        instances: ['node-1'],
        conflict: false,
      }),
    ]);
    expect(catalogue.conflicts).toEqual([]);
  });

  it('expires an instance its TTL after the last heartbeat, and keeps one that beats', async () => {
    const { registry, send, advance } = await setup();
    await send(announce('a', [{ type: 'x' }]));
    await send(announce('b', [{ type: 'x' }]));
    advance(2000);
    await send(announce('b', [{ type: 'x' }]));
    advance(1000);
    expect(registry.catalogue().instances.map((i) => i.instanceId)).toEqual(['b']);
    advance(2000);
    expect(registry.catalogue().instances).toEqual([]);
    expect(registry.catalogue().types).toEqual([]);
  });

  it('drops a withdrawn instance at once and ignores a heartbeat that was still in flight', async () => {
    const { registry, send } = await setup();
    await send(announce('a', [{ type: 'x' }]));
    await send({ kind: 'withdraw', protocolVersion: 1, service: 'demo-node', instanceId: 'a', sentAt: 0 });
    expect(registry.catalogue().instances).toEqual([]);
    await send(announce('a', [{ type: 'x' }]));
    expect(registry.catalogue().instances).toEqual([]);
  });

  it('reports two live instances announcing different schemas for one type as a conflict, without mixing them', async () => {
    const { registry, send, advance } = await setup();
    const other = { payload: { type: 'object', properties: { count: { type: 'string' } }, required: ['count'] } };
    await send(announce('node-1', [{ type: 'testRequest', ...testRequest }]));
    await send(announce('py-1', [{ type: 'testRequest', ...other }], { service: 'py-demo', language: 'python' }));
    // Same schemas in another key order are not a conflict.
    await send(announce('node-2', [{ type: 'testRequest', result: testRequest.result, chunk: testRequest.chunk, payload: testRequest.payload }]));
    const catalogue = registry.catalogue();
    const entry = catalogue.types.find((t) => t.type === 'testRequest')!;
    expect(entry).toMatchObject({ conflict: true, services: ['demo-node', 'py-demo'] });
    expect(entry).not.toHaveProperty('payload');
    expect(catalogue.conflicts).toHaveLength(1);
    expect(catalogue.conflicts[0]!.variants.map((v) => v.instances)).toEqual([['node-1', 'node-2'], ['py-1']]);
    expect(catalogue.conflicts[0]!.message).toMatch(/2 different schema sets/);
    // A payload must satisfy every variant: any instance may receive it.
    expect(registry.checkPayload('testRequest', { count: 1 })?.details?.issues).toEqual([{ path: 'count', message: expect.stringMatching(/string/) }]);
    advance(5000);
    await send(announce('node-1', [{ type: 'testRequest', ...testRequest }]));
    expect(registry.catalogue().conflicts).toEqual([]);
  });
});

describe('gateway registry payload checks', () => {
  it('refuses a payload that breaks the announced schema with INVALID_PAYLOAD naming the field', async () => {
    const { registry, send } = await setup();
    await send(announce('node-1', [{ type: 'testRequest', ...testRequest }]));
    const error = registry.checkPayload('testRequest', { count: 'three' });
    expect(error).toMatchObject({ code: 'INVALID_PAYLOAD', message: expect.stringMatching(/^Invalid payload for "testRequest": count: /) });
    expect(error?.details?.issues).toEqual([{ path: 'count', message: expect.any(String) }]);
    expect(registry.checkPayload('testRequest', {})).toBeNull();
    expect(registry.checkPayload('testRequest', { count: 2, tag: 'x' })).toBeNull();
  });

  it('names nested paths and unexpected fields of closed objects', async () => {
    const { registry, send } = await setup();
    const payload = {
      type: 'object',
      properties: { history: { type: 'array', items: { type: 'object', properties: { role: { enum: ['user', 'assistant'] } }, required: ['role'] } } },
      additionalProperties: false,
    };
    await send(announce('py-1', [{ type: 'chat', payload }], { language: 'python' }));
    const issues = registry.checkPayload('chat', { history: [{ role: 'robot' }], extra: 1 })?.details?.issues as { path: string }[];
    expect(issues.map((i) => i.path).sort()).toEqual(['extra', 'history.0.role']);
  });

  it('checks large payloads on the validation thread with the same verdicts, and caps what it reports (issue 12, finding 1)', async () => {
    const { registry, send } = await setup();
    const payload = {
      type: 'object',
      properties: { history: { type: 'array', items: { type: 'object', properties: { role: { enum: ['user', 'assistant'] } }, required: ['role'] } } },
    };
    await send(announce('py-1', [{ type: 'chat', payload }], { language: 'python' }));
    const fine = { history: Array.from({ length: 3000 }, () => ({ role: 'user' })) };
    expect(await registry.validate('chat', fine, JSON.stringify(fine).length)).toBeNull();
    const bad = { history: Array.from({ length: 3000 }, () => ({ role: 'user' })) };
    bad.history[2999] = { role: 'robot' };
    const error = await registry.validate('chat', bad, JSON.stringify(bad).length);
    expect(error?.details).toEqual({ issues: [{ path: 'history.2999.role', message: expect.any(String) }], issueCount: 1 });
    const empty = { history: Array.from({ length: 50_000 }, () => ({})) };
    const flood = await registry.validate('chat', empty, JSON.stringify(empty).length);
    expect(flood?.details).toMatchObject({ issueCount: 256, partial: true });
    expect((flood?.details?.issues as unknown[]).length).toBe(20);
    expect(JSON.stringify(flood).length).toBeLessThan(4096);
  });

  it('lets through types nobody announced, types announced without a payload schema, and schemas it cannot read', async () => {
    const { registry, send } = await setup();
    await send(
      announce('a', [{ type: 'plain' }, { type: 'odd', payload: { type: 'object', properties: { a: { $ref: 'http://elsewhere.example/schema' } } } }]),
    );
    expect(registry.checkPayload('unknown', { anything: true })).toBeNull();
    expect(registry.checkPayload('plain', 42)).toBeNull();
    expect(registry.checkPayload('odd', { a: 1 })).toBeNull();
  });

  it('refuses bad options at construction', () => {
    expect(() => createGatewayRegistry({ sweepIntervalMs: 0 })).toThrow(/sweepIntervalMs/);
  });
});
