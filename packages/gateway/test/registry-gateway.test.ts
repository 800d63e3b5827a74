// The registry through a real gateway on the memory transport: workers
// appear in GET /registry and backend.services(), payloads that break an
// announced schema are refused before anything is published.
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createBackend, createMemorySessionStore, defineContract, defineContracts } from '@warren/client';
import { createGateway } from '@warren/gateway';
import { createMemoryBroker, memoryTransport } from '@warren/transport';
import { registerHandlers } from '@warren/worker';

const quiet = pino({ level: 'silent' });
const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const contracts = defineContracts({
  add: defineContract({
    description: 'Adds two numbers.',
    payload: z.object({ a: z.number(), b: z.number() }),
    result: z.object({ sum: z.number() }),
  }),
});

const setup = async () => {
  const broker = createMemoryBroker();
  const gateway = await createGateway({ port: 0, host: '127.0.0.1', log: quiet, transport: memoryTransport(broker) });
  cleanup.push(() => gateway.close());
  const typed = await registerHandlers(
    { service: 'math', transport: memoryTransport(broker), log: quiet, contracts, instanceId: 'math-1' },
    {
      add: ({ a, b }) => ({ sum: a + b }),
    },
  );
  cleanup.push(() => typed.close());
  const plain = await registerHandlers({ service: 'misc', transport: memoryTransport(broker), log: quiet, instanceId: 'misc-1' }, { echo: (p) => p });
  cleanup.push(() => plain.close());
  const backend = createBackend({ url: gateway.url, sessionStore: createMemorySessionStore(), contracts });
  cleanup.push(() => backend.close());
  return { broker, gateway, backend, plain };
};

describe('registry through the gateway', () => {
  it('serves the live catalogue at GET /registry and to backend.services()', async () => {
    const { gateway, backend } = await setup();
    const response = await fetch(`${gateway.url}/registry`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const catalogue = (await response.json()) as { instances: { instanceId: string }[]; types: { type: string }[] };
    expect(catalogue.instances.map((i) => i.instanceId)).toEqual(['math-1', 'misc-1']);
    expect(catalogue.types.map((t) => t.type)).toEqual(['add', 'echo']);
    const services = await backend.services();
    expect(services.types.find((t) => t.type === 'add')).toMatchObject({ description: 'Adds two numbers.', payload: { required: ['a', 'b'] } });
  });

  it('lets an attach (no payload) through to a retained call of a type whose payload has a schema', async () => {
    const { backend } = await setup();
    await expect(backend.makeBackendRequest('add', { a: 1, b: 2 }, { key: 'sum-1' })).resolves.toEqual({ sum: 3 });
    // After a reload the page only knows the key: the attach frame carries no payload to check.
    await expect(backend.attach('add', 'sum-1')).resolves.toEqual({ sum: 3 });
  });

  it('refuses a payload that breaks the schema with INVALID_PAYLOAD naming the field, publishing nothing', async () => {
    const { broker, backend } = await setup();
    await expect(backend.makeBackendRequest('add', { a: 1, b: 2 })).resolves.toEqual({ sum: 3 });
    const published = broker.published();
    const bad = { a: 1, b: 'two' } as unknown as { a: number; b: number };
    const error = await backend.makeBackendRequest('add', bad).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_PAYLOAD', message: expect.stringContaining('b: '), details: { issues: [{ path: 'b' }] } });
    expect(broker.published()).toBe(published);
  });

  it('passes types without an announced schema through, and forgets a worker that closed', async () => {
    const { gateway, backend, plain } = await setup();
    const untyped = createBackend({ url: gateway.url, sessionStore: createMemorySessionStore() });
    cleanup.push(() => untyped.close());
    await expect(untyped.makeBackendRequest('echo', { anything: ['goes'] })).resolves.toEqual({ anything: ['goes'] });
    await plain.close();
    await new Promise((r) => setTimeout(r, 10));
    expect((await backend.services()).instances.map((i) => i.instanceId)).toEqual(['math-1']);
  });
});
