// The service registry on real RabbitMQ: Node and Python workers appear in
// GET /registry and disappear after kill -9; payloads breaking an announced
// schema are refused at the gateway; codegen from the live catalogue (the
// Python chat service) compiles and types a real call; conflicts are loud.
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Announcement, Catalogue } from '@warren/protocol';
import { createAmqpTransport } from '@warren/transport';
import { defineContract, defineContracts, registerHandlers } from '@warren/worker';
import { killAll, root, RUNTIMES, startGateway, startNodeWorker, startPython, isReadyFor, type Proc } from '../support/processes.ts';
import { disposable } from '../support/disposable.ts';
import { AMQP_URL, deleteNamespace, queueStats, uniqueNamespace } from '../support/rabbit.ts';

const run = promisify(execFile);
const HEARTBEAT_MS = 1000;
const TTL_MS = 3000;
const registryEnv = { WARREN_REGISTRY_HEARTBEAT_MS: String(HEARTBEAT_MS), WARREN_REGISTRY_TTL_MS: String(TTL_MS) };

const waitUntil = async <T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> => {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

// The Python chat demo as a process we can kill -9.
const startPythonChat = (namespace: string) => {
  const proc = startPython('python/examples/chat_worker.py', { WARREN_NAMESPACE: namespace, ...registryEnv });
  return {
    child: proc.child,
    output: proc.output,
    serving: () => proc.waitFor(isReadyFor('chat'), 20_000).then(() => Date.now()),
    stop: () => {
      if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
    },
  };
};

describe.each(RUNTIMES)('service registry with gateway and Node worker on %s', (runtime) => {
  const namespace = uniqueNamespace(`reg${runtime}`);
  const artifacts = join(root, 'test-artifacts', `codegen-${namespace}`);
  let url = '';
  let gatewayProc: Proc;
  let nodeWorker: Proc;
  let python: ReturnType<typeof startPythonChat>;
  const catalogue = async (): Promise<Catalogue> => (await fetch(`${url}/registry`)).json() as Promise<Catalogue>;
  const instanceOf = async (service: string) => (await catalogue()).instances.find((i) => i.service === service);

  beforeAll(async () => {
    const gateway = await startGateway(runtime, namespace);
    url = gateway.url;
    gatewayProc = gateway.proc;
  });

  afterAll(async () => {
    python?.stop();
    await killAll();
    await deleteNamespace(namespace);
  });

  it('lists a Node and a Python worker within 2 s of their start, with schemas, language and concurrency', async () => {
    const spawned = Date.now();
    python = startPythonChat(namespace);
    nodeWorker = await startNodeWorker(runtime, namespace, { ...registryEnv, WORKER_CONCURRENCY: '3' });
    const nodeStarted = Date.now();
    const node = await waitUntil(() => instanceOf('demo-node'), 2000, 'demo-node in /registry');
    expect(Date.now() - nodeStarted).toBeLessThan(2000);
    expect(node).toMatchObject({ language: 'typescript', concurrency: 3, heartbeatMs: HEARTBEAT_MS, ttlMs: TTL_MS, types: ['testRequest', 'longTask'] });
    const pythonStarted = await python.serving();
    await waitUntil(() => instanceOf('chat-demo'), 2000, 'chat-demo in /registry');
    expect(Date.now() - pythonStarted).toBeLessThan(2000);
    const all = await catalogue();
    expect(all.instances.find((i) => i.service === 'chat-demo')).toMatchObject({ language: 'python', types: ['chat'] });
    expect(all.types.find((t) => t.type === 'chat')).toMatchObject({ services: ['chat-demo'], conflict: false, payload: { required: ['message'] } });
    expect(all.types.find((t) => t.type === 'testRequest')).toMatchObject({ payload: { properties: { count: { type: 'integer' } } } });
    console.log(`registry (${runtime}): both workers listed ${Date.now() - spawned} ms after spawning them`);
  });

  it('refuses `warren call testRequest {"count":"three"}` with INVALID_PAYLOAD naming count; nothing reaches a worker', async () => {
    const finishedBefore = nodeWorker
      .output()
      .split('\n')
      .filter((l) => l.includes('request finished')).length;
    const bin = join(root, 'node_modules/.bin/warren');
    const failed = await run(bin, ['call', 'testRequest', '{"count":"three"}', '--url', url]).catch((e: { code: number; stderr: string }) => e);
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr).toMatch(/^INVALID_PAYLOAD: Invalid payload for "testRequest": count: /);
    await gatewayProc.waitFor((l) => l.msg === 'request rejected' && l.code === 'INVALID_PAYLOAD', 5000);
    expect(queueStats(namespace)[`${namespace}.req.testRequest`]).toMatchObject({ ready: 0, unacked: 0 });
    expect(
      nodeWorker
        .output()
        .split('\n')
        .filter((l) => l.includes('request finished')).length,
    ).toBe(finishedBefore);
    // The same call with a good payload goes through.
    const { stdout } = await run(bin, ['call', 'testRequest', '{"count":1,"delayMs":0}', '--url', url]);
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toMatchObject({ count: 1 });
  });

  it('generates types from the live catalogue that compile and type a real call to the Python chat service', async () => {
    mkdirSync(artifacts, { recursive: true });
    const out = join(artifacts, 'backend-types.ts');
    await run(join(root, 'node_modules/.bin/warren'), ['codegen', '--url', url, '--out', out]);
    writeFileSync(
      join(artifacts, 'call-chat.ts'),
      `import { createBackend, createMemorySessionStore } from '@warren/client';
import type { BackendTypes } from './backend-types.ts';

const backend = createBackend<BackendTypes>({ url: process.argv[2]!, sessionStore: createMemorySessionStore() });
const tokens: string[] = [];
const result = await backend.makeBackendRequest('chat', { message: 'Hello from codegen', history: [] }, {
  onChunk: (chunk) => tokens.push(chunk.token),
});
const reply: string = result.reply;
// @ts-expect-error: the Python contract requires a message
void (() => backend.makeBackendRequest('chat', { history: [] }));
// @ts-expect-error: no service announces this type
void (() => backend.makeBackendRequest('chatt', { message: 'x' }));
console.log(JSON.stringify({ reply, joined: tokens.join('') }));
backend.close();
`,
    );
    writeFileSync(join(artifacts, 'tsconfig.json'), JSON.stringify({ extends: '../../tsconfig.base.json', include: ['*.ts'] }));
    await run(join(root, 'node_modules/.bin/tsc'), ['-p', join(artifacts, 'tsconfig.json')]); // throws on any type error
    const { stdout } = await run(process.execPath, ['--import', 'tsx', join(artifacts, 'call-chat.ts'), url], { cwd: root });
    const answer = JSON.parse(stdout.trim()) as { reply: string; joined: string };
    expect(answer.reply).toContain('Hello from codegen');
    expect(answer.joined).toBe(answer.reply);
  });

  it('reports two live instances announcing different schemas for one type as a conflict, until one leaves', async () => {
    const impostor = await registerHandlers(
      {
        service: 'chat-impostor',
        url: AMQP_URL,
        namespace,
        log: pino({ level: 'silent' }),
        contracts: defineContracts({ chat: defineContract({ payload: z.object({ text: z.string() }), result: z.string() }) }),
      },
      { chat: ({ text }) => text },
    );
    try {
      const conflict = await waitUntil(async () => (await catalogue()).conflicts.find((c) => c.type === 'chat'), 2000, 'a chat conflict');
      expect(conflict.variants.map((v) => v.services)).toEqual(expect.arrayContaining([['chat-demo'], ['chat-impostor']]));
      expect((await catalogue()).types.find((t) => t.type === 'chat')).toMatchObject({ conflict: true, services: ['chat-demo', 'chat-impostor'] });
      await gatewayProc.waitFor((l) => typeof l.msg === 'string' && l.msg.startsWith('registry conflict:') && l.type === 'chat', 2000);
    } finally {
      await impostor.close();
    }
    await waitUntil(async () => ((await catalogue()).conflicts.length === 0 ? true : undefined), 2000, 'the conflict to end');
  });

  it('drops both workers within the expiry after kill -9 (no withdrawal)', async () => {
    await nodeWorker.kill('SIGKILL');
    python.stop();
    const killed = Date.now();
    expect((await catalogue()).instances.map((i) => i.service).sort()).toEqual(['chat-demo', 'demo-node']);
    await waitUntil(async () => ((await catalogue()).instances.length === 0 ? true : undefined), TTL_MS + 1000, 'both instances to expire');
    const gone = Date.now() - killed;
    expect(gone).toBeLessThanOrEqual(TTL_MS + 1000);
    expect((await catalogue()).types).toEqual([]);
    console.log(`registry (${runtime}): killed workers expired after ${gone} ms (ttl ${TTL_MS} ms)`);
  });
});

describe('registry exchange on the RabbitMQ transport', () => {
  const namespace = uniqueNamespace('regx');
  afterAll(() => deleteNamespace(namespace));

  it('delivers every announcement to every consumer, and nothing to one that closed', async () => {
    await using a = disposable(await createAmqpTransport({ url: AMQP_URL, namespace }));
    await using b = disposable(await createAmqpTransport({ url: AMQP_URL, namespace }));
    await using sender = disposable(await createAmqpTransport({ url: AMQP_URL, namespace }));
    const seen: Announcement[][] = [[], []];
    const subs = [await a.consumeAnnouncements((m) => seen[0]!.push(m)), await b.consumeAnnouncements((m) => seen[1]!.push(m))];
    const message: Announcement = { kind: 'withdraw', protocolVersion: 1, service: 's', instanceId: 'i-1', sentAt: 1 };
    await sender.announce(message);
    await waitUntil(async () => (seen.every((s) => s.length === 1) ? true : undefined), 2000, 'both consumers to get it');
    expect(seen).toEqual([[message], [message]]);
    await subs[1]!.close();
    await sender.announce({ ...message, instanceId: 'i-2' });
    await waitUntil(async () => (seen[0]!.length === 2 ? true : undefined), 2000, 'the open consumer to get the second');
    await new Promise((r) => setTimeout(r, 100));
    expect(seen[1]).toHaveLength(1);
  });
});
