import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Announcement } from '@warren/protocol';
import {
  contractOf,
  defineContract,
  defineContracts,
  registerHandlers,
  SDK_VERSION,
  withContracts,
  workerOptionsFromEnv,
  type WorkerHandle,
} from '@warren/worker';
import { createHarness, final, quietLog, sleep } from './harness.ts';

const contracts = defineContracts({
  greet: defineContract({
    description: 'Says hello, word by word.',
    payload: z.object({ name: z.string().min(1), times: z.number().int().min(1).default(1) }),
    chunk: z.object({ word: z.string() }),
    result: z.object({ greeting: z.string() }),
  }),
  ping: defineContract({ payload: z.null(), result: z.literal('pong') }),
});

const handles: WorkerHandle[] = [];
afterEach(async () => {
  await Promise.all(handles.splice(0).map((w) => w.close()));
});

const listen = async (h: ReturnType<typeof createHarness>) => {
  const seen: Announcement[] = [];
  await h.gateway.consumeAnnouncements((m) => seen.push(m));
  return seen;
};

describe('registerHandlers with contracts', () => {
  it('hands the handler the parsed payload (defaults applied) and checks chunks and result', async () => {
    const h = createHarness();
    const got: unknown[] = [];
    handles.push(
      await registerHandlers(
        { service: 'greeter', transport: h.workerTransport(), log: quietLog, contracts },
        {
          async greet(payload, ctx) {
            got.push(payload);
            await ctx.sendChunk({ word: 'Hello' });
            return { greeting: `Hello, ${payload.name}` };
          },
          ping: () => 'pong' as const,
        },
      ),
    );
    const list = await (await h.call('greet', { name: 'Ada' })).done;
    expect(got).toEqual([{ name: 'Ada', times: 1 }]);
    expect(list.map((r) => r.kind)).toEqual(['chunk', 'result']);
    expect(final(list)).toMatchObject({ data: { greeting: 'Hello, Ada' } });
  });

  it('answers a payload that breaks the contract with INVALID_PAYLOAD naming the fields, without running the handler', async () => {
    const h = createHarness();
    let ran = false;
    handles.push(
      await registerHandlers(
        { service: 'greeter', transport: h.workerTransport(), log: quietLog, contracts },
        {
          greet: () => {
            ran = true;
            return { greeting: '' };
          },
          ping: () => 'pong' as const,
        },
      ),
    );
    const error = final(await (await h.call('greet', { name: '', times: 'twice' })).done);
    expect(error).toMatchObject({ kind: 'error', error: { code: 'INVALID_PAYLOAD' } });
    const issues = (error as unknown as { error: { details: { issues: { path: string }[] } } }).error.details.issues;
    expect(issues.map((i) => i.path).sort()).toEqual(['name', 'times']);
    expect(ran).toBe(false);
  });

  it('reports a chunk or result that breaks the contract as WORKER_ERROR', async () => {
    const h = createHarness();
    handles.push(
      await registerHandlers(
        { service: 'greeter', transport: h.workerTransport(), log: quietLog, contracts },
        {
          // Untyped JavaScript callers can still get it wrong; the contract catches it.
          greet: async (_p, ctx) => {
            await (ctx.sendChunk as (c: unknown) => Promise<void>)({ word: 42 });
            return { greeting: 'x' };
          },
          ping: () => 'ping' as unknown as 'pong',
        },
      ),
    );
    expect(final(await (await h.call('greet', { name: 'A' })).done)).toMatchObject({
      kind: 'error',
      error: { code: 'WORKER_ERROR', message: expect.stringMatching(/chunk.*word/) },
    });
    expect(final(await (await h.call('ping', null)).done)).toMatchObject({
      kind: 'error',
      error: { code: 'WORKER_ERROR', message: expect.stringMatching(/result/) },
    });
  });

  it('refuses at start-up when contracts and handlers name different types', async () => {
    const h = createHarness();
    const options = { service: 'x', transport: h.workerTransport(), log: quietLog, contracts };
    await expect(registerHandlers(options, { greet: () => ({ greeting: '' }) } as never)).rejects.toThrow(/no handler for contract type\(s\) ping/);
    await expect(registerHandlers(options, { greet: () => ({ greeting: '' }), ping: () => 'pong' as const, extra: () => 1 } as never)).rejects.toThrow(
      /extra have no contract/,
    );
  });
});

describe('withContracts', () => {
  it('makes checked handlers that mix with untyped ones and still announce their schemas', async () => {
    const h = createHarness();
    const seen = await listen(h);
    const typed = withContracts(contracts, { greet: ({ name, times }) => ({ greeting: `${name} x${times}` }), ping: () => 'pong' as const });
    expect(contractOf(typed.greet)).toBe(contracts.greet);
    handles.push(await registerHandlers({ service: 'mixed', transport: h.workerTransport(), log: quietLog }, { ...typed, echo: (p) => p }));
    expect(final(await (await h.call('greet', { name: 'Ada' })).done)).toMatchObject({ kind: 'result', data: { greeting: 'Ada x1' } });
    expect(final(await (await h.call('greet', { name: 7 })).done)).toMatchObject({ kind: 'error', error: { code: 'INVALID_PAYLOAD' } });
    expect(final(await (await h.call('echo', { any: 1 })).done)).toMatchObject({ kind: 'result', data: { any: 1 } });
    const types = (seen[0] as { types: { type: string; payload?: unknown }[] }).types;
    expect(types.map((t) => [t.type, t.payload !== undefined])).toEqual([
      ['greet', true],
      ['ping', true],
      ['echo', false],
    ]);
  });
});

describe('registry announcements', () => {
  it('announces types with JSON Schemas at start, heartbeats, and withdraws on close', async () => {
    const h = createHarness();
    const seen = await listen(h);
    const handle = await registerHandlers(
      {
        service: 'greeter',
        transport: h.workerTransport(),
        log: quietLog,
        contracts,
        concurrency: 3,
        registryHeartbeatMs: 100,
        registryTtlMs: 300,
        instanceId: 'greeter-1',
      },
      { greet: () => ({ greeting: '' }), ping: () => 'pong' as const },
    );
    await sleep(250);
    const announces = seen.filter((m) => m.kind === 'announce');
    expect(announces.length).toBeGreaterThanOrEqual(2);
    const first = announces[0]!;
    if (first.kind !== 'announce') throw new Error('unreachable');
    expect(first).toMatchObject({
      service: 'greeter',
      instanceId: 'greeter-1',
      language: 'typescript',
      sdkVersion: SDK_VERSION,
      concurrency: 3,
      heartbeatMs: 100,
      ttlMs: 300,
    });
    const greet = first.types.find((t) => t.type === 'greet')!;
    expect(greet.description).toBe('Says hello, word by word.');
    // Payload as callers write it: `times` has a default, so it is optional.
    expect(greet.payload).toMatchObject({ type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1 } } });
    expect(greet.chunk).toMatchObject({ properties: { word: { type: 'string' } } });
    expect(first.types.find((t) => t.type === 'ping')).not.toHaveProperty('chunk');
    await handle.close();
    const count = seen.length;
    expect(seen.at(-1)).toMatchObject({ kind: 'withdraw', instanceId: 'greeter-1' });
    await sleep(250);
    expect(seen.length).toBe(count); // no heartbeat after the withdrawal
  });

  it('announces untyped handlers by name only, and nothing with announce: false', async () => {
    const h = createHarness();
    const seen = await listen(h);
    handles.push(await registerHandlers({ service: 'plain', transport: h.workerTransport(), log: quietLog }, { echo: (p) => p }));
    handles.push(await registerHandlers({ service: 'hidden', transport: h.workerTransport(), log: quietLog, announce: false }, { quiet: (p) => p }));
    await sleep(20);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ kind: 'announce', service: 'plain', types: [{ type: 'echo' }] });
    expect((seen[0] as { types: object[] }).types[0]).not.toHaveProperty('payload');
  });

  it('refuses a registry TTL that is not longer than the heartbeat', async () => {
    const h = createHarness();
    await expect(
      registerHandlers({ service: 'x', transport: h.workerTransport(), log: quietLog, registryHeartbeatMs: 5000, registryTtlMs: 5000 }, { a: () => 1 }),
    ).rejects.toThrow(/registryTtlMs: must be longer than registryHeartbeatMs/);
  });

  it('reads the registry timing from the environment', () => {
    expect(workerOptionsFromEnv({ WARREN_REGISTRY_HEARTBEAT_MS: '1000', WARREN_REGISTRY_TTL_MS: '3000' })).toEqual({
      registryHeartbeatMs: 1000,
      registryTtlMs: 3000,
    });
  });

  it('reports the SDK version of package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(SDK_VERSION).toBe(pkg.version);
  });
});
