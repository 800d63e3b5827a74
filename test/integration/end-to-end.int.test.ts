// The whole path on real RabbitMQ: client → gateway process → broker → Node
// worker processes → back, with gateway and workers on Bun and on Node.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend, createMemorySessionStore, type Backend } from '@warren/client';
import { killAll, root, RUNTIMES, startGateway, startNodeWorker } from '../support/processes.ts';
import { deleteNamespace, readQueueDepths, uniqueNamespace } from '../support/rabbit.ts';
import { waitUntil } from '../support/wait.ts';

const run = promisify(execFile);

describe.each(RUNTIMES)('end to end with gateway and workers on %s', (runtime) => {
  const namespace = uniqueNamespace(`e2e${runtime}`);
  let url = '';
  const backends: Backend[] = [];
  const backend = () => {
    const b = createBackend({ url, sessionStore: createMemorySessionStore() });
    backends.push(b);
    return b;
  };

  beforeAll(async () => {
    const gateway = await startGateway(runtime, namespace);
    url = gateway.url;
    // Two competing worker processes on the same queues.
    await Promise.all([startNodeWorker(runtime, namespace), startNodeWorker(runtime, namespace)]);
  });

  afterAll(async () => {
    for (const b of backends) b.close();
    await killAll();
    await deleteNamespace(namespace);
  });

  it('answers a request with its result', async () => {
    const result = await backend().makeBackendRequest('testRequest', { count: 0, delayMs: 0 });
    expect(result).toMatchObject({ count: 0, attempt: 1 });
  });

  it('streams 100 chunks complete and in order, then the result', async () => {
    const chunks: { seq: number }[] = [];
    const result = await backend().makeBackendRequest<{ count: number }, { seq: number }>(
      'testRequest',
      { count: 100, delayMs: 0 },
      { onChunk: (c) => chunks.push(c) },
    );
    expect(chunks.map((c) => c.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(result.count).toBe(100);
  });

  it('answers a type nobody serves with NO_HANDLER in under a second', async () => {
    const b = backend();
    await b.makeBackendRequest('testRequest', { count: 0 }); // connected
    const started = Date.now();
    await expect(b.makeBackendRequest('noSuchType', {})).rejects.toMatchObject({ code: 'NO_HANDLER' });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('reports a throwing handler as WORKER_ERROR and the worker keeps serving', async () => {
    const b = backend();
    const error = (await b.makeBackendRequest('testRequest', { count: 1, delayMs: 0, fail: 'disk on fire' }).catch((e: unknown) => e)) as Error;
    // The handler's own text never reaches the caller: a generic message with a log reference does.
    expect(error).toMatchObject({ code: 'WORKER_ERROR', message: expect.stringMatching(/reference [0-9a-f]{12}/) });
    expect(error.message).not.toContain('disk on fire');
    expect(String(error.stack ?? '')).not.toContain('handlers.ts');
    await expect(b.makeBackendRequest('testRequest', { count: 1, delayMs: 0 })).resolves.toMatchObject({ count: 1 });
  });

  it('answers a malformed frame with INVALID_REQUEST and the same socket keeps working', async () => {
    const socket = io(url, { transports: ['websocket'], reconnection: false });
    try {
      const ask = (frame: unknown) => new Promise<any>((resolve) => socket.emit('request', frame, resolve));
      expect(await ask({ id: 'bad id!', type: 'testRequest' })).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
      expect(await ask('not even an object')).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
      const result = new Promise<any>((resolve) =>
        socket.on('response', (r: any, ack: () => void) => {
          ack();
          if (r.kind === 'result') resolve(r);
        }),
      );
      expect(await ask({ id: 'good', type: 'testRequest', payload: { count: 1, delayMs: 0 } })).toEqual({ ok: true, id: 'good' });
      expect(await result).toMatchObject({ id: 'good', kind: 'result' });
    } finally {
      socket.close();
    }
  });

  it('keeps 20 clients with 20 concurrent streams each apart', async () => {
    const clients = Array.from({ length: 20 }, () => backend());
    const runs = clients.flatMap((b, c) =>
      Array.from({ length: 20 }, async (_, r) => {
        const tag = `c${c}r${r}`;
        const chunks: { tag?: string; seq: number }[] = [];
        await b.makeBackendRequest('testRequest', { count: 10, delayMs: 2, tag }, { onChunk: (chunk: any) => chunks.push(chunk), timeoutMs: 30_000 });
        return { tag, chunks };
      }),
    );
    const results = await Promise.all(runs);
    for (const { tag, chunks } of results) {
      expect(chunks.map((c) => c.tag)).toEqual(Array(10).fill(tag));
      expect(chunks.map((c) => c.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }
  });

  it('rejects with TIMEOUT when the worker does not answer within timeoutMs', async () => {
    const started = Date.now();
    await expect(backend().makeBackendRequest('testRequest', { count: 1, delayMs: 5000 }, { timeoutMs: 300 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('leaves no request waiting in the queues', async () => {
    // Acks are coalesced and the broker's counts lag a little under load: settled within seconds.
    expect(await waitUntil(async () => (await readQueueDepths(namespace))[`${namespace}.req.testRequest`] === 0, 5_000)).toBe(true);
  });

  it('works from the CLI: chunks as JSON lines, result last, exit 0', async () => {
    const bin = join(root, 'node_modules/.bin/warren');
    const { stdout } = await run(bin, ['call', 'testRequest', '{"count":3,"delayMs":10}', '--url', url]);
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(4);
    expect(lines.slice(0, 3).map((l) => l.seq)).toEqual([0, 1, 2]);
    expect(lines[3]).toMatchObject({ count: 3 });
    const failed = await run(bin, ['call', 'nobodyHome', '{}', '--url', url]).catch((e) => e);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^NO_HANDLER: /);
  });
});
