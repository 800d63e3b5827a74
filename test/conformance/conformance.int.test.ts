// One conformance service (test/conformance/workers), served once by a Node
// worker and once by a Python worker, each behind a real gateway (Bun) on
// RabbitMQ in its own namespace: the SAME cases run against both, and a
// table of every case per language is printed and written to
// test-artifacts/conformance.md at the end.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend, createMemorySessionStore, type Backend, type RequestOptions } from '@warren/client';
import type { Catalogue, Response } from '@warren/protocol';
import { JWT_ENV, signToken } from '../security/tokens.ts';
import { killAll, startGateway, type Proc } from '../support/processes.ts';
import { deleteNamespace, uniqueNamespace } from '../support/rabbit.ts';
import { directClient, type Direct } from './direct.ts';
import { LANGUAGES, rawClient, startConformanceWorker, TYPES, uniqueId, waitUntil, type RawClient } from './harness.ts';
import { createReport } from './report.ts';

const report = createReport(LANGUAGES);
afterAll(() => {
  console.log(`\n${report.write()}`);
});

const SDK = {
  node: { service: 'conformance-node', language: 'typescript' },
  python: { service: 'conformance-python', language: 'python' },
} as const;

interface SleepState {
  started: boolean;
  running: boolean;
  observed: boolean;
  reason: string | null;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
/** The failing paths of an INVALID_PAYLOAD, sorted: what both SDKs and the gateway must agree on. */
const issuePaths = (error: unknown) => [...new Set(((error as { details?: { issues?: { path: string }[] } }).details?.issues ?? []).map((i) => i.path))].sort();
const finalOf = (responses: Response[]) => responses[responses.length - 1];
const errorOf = (response: Response | undefined) => (response?.kind === 'error' ? response.error : undefined);

describe.each(LANGUAGES)('conformance: the %s worker', (language) => {
  const namespace = uniqueNamespace(`conf${language}`);
  let url = '';
  let client: Backend;
  let raw: RawClient;
  let direct: Direct;
  let worker: Proc;
  let gateway: Proc;
  const backends: Backend[] = [];
  // Request ids chosen by the test, so the worker can be asked about one later.
  const chosenIds: string[] = [];
  const backend = (token?: string) => {
    const b = createBackend({
      url,
      sessionStore: createMemorySessionStore(),
      createId: () => chosenIds.shift() ?? uniqueId(language),
      ...(token === undefined ? {} : { token }),
    });
    backends.push(b);
    return b;
  };
  const callWithId = <Result>(id: string, type: string, payload: unknown, options: RequestOptions = {}) => {
    chosenIds.push(id); // createId runs synchronously inside makeBackendRequest
    return client.makeBackendRequest<Result>(type, payload, options);
  };
  const sleepState = (id: string) => client.makeBackendRequest<SleepState>('conf.cancelled', { id });
  const catalogue = async () => (await fetch(`${url}/registry`)).json() as Promise<Catalogue>;
  let ready: Record<string, unknown> = {};
  /** Whether the gateway sent request `id` through the fast lane (its `request accepted` log line says). */
  const tookFastLane = async (id: string) =>
    (await gateway.waitFor((line) => line.msg === 'request accepted' && line.requestId === id, 5000)).fast as boolean | undefined;

  /**
   * One case: recorded for the table. Both languages run the identical list;
   * there is no way for one of them to skip or expect-fail a case.
   */
  const conformance = (name: string, run: () => Promise<void>) =>
    it(name, async () => {
      report.record(name, language, 'fail');
      await run();
      report.record(name, language, 'pass');
    });

  beforeAll(async () => {
    // Authentication on, anonymous callers allowed: a token gives ctx a principal.
    ({ proc: gateway, url } = await startGateway('bun', namespace, { ...JWT_ENV, ALLOW_ANONYMOUS: 'true' }));
    ({ proc: worker, ready } = await startConformanceWorker(language, namespace));
    // The gateway checks payloads against announced schemas: wait until it has them.
    await waitUntil(
      async () => ((await catalogue()).instances.some((i) => i.service === SDK[language].service) ? true : undefined),
      10_000,
      'the worker in /registry',
    );
    client = backend();
    await client.makeBackendRequest('conf.echo', null); // connected
    raw = await rawClient(url);
    direct = await directClient(namespace);
  });

  afterAll(async () => {
    for (const b of backends) b.close();
    raw?.close();
    await direct?.close();
    await killAll();
    await deleteNamespace(namespace);
  });

  conformance('registry: announces every type, its language and concurrency 2', async () => {
    const live = await catalogue();
    const instance = live.instances.find((i) => i.service === SDK[language].service);
    expect(instance).toMatchObject({ language: SDK[language].language, concurrency: 2 });
    expect([...instance!.types].sort()).toEqual(TYPES);
    const typed = live.types.find((t) => t.type === 'conf.typed');
    expect(typed?.payload).toMatchObject({ type: 'object', additionalProperties: false });
    expect(Object.keys((typed?.payload as { properties: object }).properties).sort()).toEqual(['name', 'times']);
    expect([...(typed?.payload as { required: string[] }).required].sort()).toEqual(['name', 'times']);
  });

  conformance('ready: one structured event once it serves (service, types, concurrency, namespace, transport, instance)', async () => {
    const instance = (await catalogue()).instances.find((i) => i.service === SDK[language].service);
    const { types, ...rest } = ready;
    expect(rest).toMatchObject({
      event: 'ready',
      service: SDK[language].service,
      concurrency: 2,
      namespace,
      transport: 'amqp',
      instanceId: instance?.instanceId,
    });
    expect([...(types as string[])].sort()).toEqual(TYPES);
  });

  conformance('result: conf.echo answers any JSON payload unchanged', async () => {
    const payloads = [
      { nested: { list: [1, 2.5, { deep: null }], flag: true }, text: 'Ada ✓ — 東京 "quoted" \\ \n\t' },
      [],
      'plain',
      0,
      -7.25,
      null,
      9007199254740991,
      { '': 'empty key' },
    ];
    for (const payload of payloads) expect(await client.makeBackendRequest('conf.echo', payload)).toEqual(payload);
  });

  conformance('stream: 100 chunks complete and in order, then the result', async () => {
    const chunks: { i: number; seq: number; attempt: number }[] = [];
    const result = await client.makeBackendRequest<{ n: number }, { i: number }>(
      'conf.stream',
      { n: 100 },
      {
        onChunk: (chunk, meta) => chunks.push({ i: chunk.i, ...meta }),
      },
    );
    expect(chunks.map((c) => c.i)).toEqual(range(100));
    expect(chunks.map((c) => c.seq)).toEqual(range(100));
    expect(chunks.every((c) => c.attempt === 1)).toBe(true);
    expect(result).toEqual({ n: 100 });
  });

  conformance('retained call: a keyed request is answered on its call queue, and the same key attaches to the same responses', async () => {
    const key = uniqueId('key');
    const first = await raw.call({ id: uniqueId('keyed'), type: 'conf.stream', payload: { n: 5 }, key });
    expect(first.ack).toEqual({ ok: true, id: expect.any(String) });
    expect(first.responses.map((r) => [r.kind, r.seq, r.attempt])).toEqual([...range(5).map((i) => ['chunk', i, 1]), ['result', 5, 1]]);
    const again = await raw.call({ id: uniqueId('attach'), type: 'conf.stream', payload: { n: 5 }, key, attach: true });
    expect(again.ack).toMatchObject({ ok: true, attached: true });
    const strip = (responses: Response[]) => responses.map(({ id: _id, worker: _worker, ...rest }) => rest);
    expect(strip(again.responses)).toEqual(strip(first.responses));
  });

  conformance('error: a thrown error is WORKER_ERROR with a generic message and a log reference, never its text', async () => {
    // Issue 14: str(exception) / error.message can carry anything (a connection string with a
    // password); the caller gets a generic message and a reference the operator finds in the log.
    const message = 'could not connect to postgres://admin:hunter2@db.internal/shop';
    const { responses } = await raw.call({ id: uniqueId('fail'), type: 'conf.fail', payload: { message } });
    expect(finalOf(responses)).toMatchObject({ kind: 'error', seq: 0, attempt: 1 });
    const error = errorOf(finalOf(responses)) as { code: string; message: string; details?: { reference?: unknown } };
    expect(error.code).toBe('WORKER_ERROR');
    expect(typeof error.details?.reference).toBe('string');
    expect(error.message).toContain(String(error.details?.reference));
    const wire = JSON.stringify(responses);
    for (const leak of ['hunter2', 'postgres', 'Traceback', 'File "', '.py', '.ts', '    at ']) expect(wire).not.toContain(leak);
    await expect(client.makeBackendRequest('conf.fail', { message })).rejects.toMatchObject({ code: 'WORKER_ERROR' });
  });

  conformance('error: a Warren error keeps its code, message and details', async () => {
    const payload = { message: 'not yours', code: 'FORBIDDEN', details: { field: 'owner' } };
    const { responses } = await raw.call({ id: uniqueId('warren-error'), type: 'conf.fail', payload });
    expect(errorOf(finalOf(responses))).toEqual({ code: 'FORBIDDEN', message: 'not yours', details: { field: 'owner' } });
  });

  conformance('unknown type: NO_HANDLER in under 1 s', async () => {
    const started = Date.now();
    await expect(client.makeBackendRequest('conf.nobody', {})).rejects.toMatchObject({ code: 'NO_HANDLER' });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  conformance('timeout: TIMEOUT on time when timeoutMs is shorter than the handler, and the handler stops', async () => {
    const id = uniqueId('timeout');
    const started = Date.now();
    await expect(callWithId(id, 'conf.sleep', { ms: 5000 }, { timeoutMs: 500 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(1500);
    const state = await waitUntil(
      async () => {
        const s = await sleepState(id);
        return s.observed && !s.running ? s : undefined;
      },
      1000,
      'the handler stopping',
    );
    expect(state.started).toBe(true);
    // The client cancels when its own timer fires, racing the worker's deadline timer.
    expect(['TIMEOUT', 'CANCELLED']).toContain(state.reason);
  });

  conformance('deadline: the worker itself answers TIMEOUT at the deadline and stops the handler', async () => {
    const id = uniqueId('deadline');
    const started = Date.now();
    // A bare frame: no client timer, no cancel — only the worker's deadline ends it.
    const { responses } = await raw.call({ id, type: 'conf.sleep', payload: { ms: 5000 }, timeoutMs: 500 }, 3000);
    const elapsed = Date.now() - started;
    expect(responses).toHaveLength(1);
    expect(finalOf(responses)).toMatchObject({ kind: 'error', seq: 0, attempt: 1, error: { code: 'TIMEOUT' } });
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(1500);
    const state = await waitUntil(
      async () => {
        const s = await sleepState(id);
        return s.observed ? s : undefined;
      },
      1000,
      'the handler observing its deadline',
    );
    expect(state).toEqual({ started: true, running: false, observed: true, reason: 'TIMEOUT' });
  });

  conformance('concurrency: 6 concurrent conf.busy run at most 2 at a time (peak exactly 2)', async () => {
    const started = Date.now();
    const results = await Promise.all(range(6).map(() => client.makeBackendRequest<{ peak: number }>('conf.busy', { ms: 300 })));
    expect(Math.max(...results.map((r) => r.peak))).toBe(2);
    // Three waves of two.
    expect(Date.now() - started).toBeGreaterThanOrEqual(850);
  });

  conformance('cancel: aborting a running conf.sleep gives CANCELLED, and the handler observes it within 1 s', async () => {
    const id = uniqueId('cancel');
    const controller = new AbortController();
    const call = callWithId(id, 'conf.sleep', { ms: 10_000 }, { signal: controller.signal, timeoutMs: 30_000 });
    call.catch(() => {});
    await waitUntil(async () => ((await sleepState(id)).started ? true : undefined), 5000, 'the handler starting');
    controller.abort();
    await expect(call).rejects.toMatchObject({ code: 'CANCELLED' });
    const state = await waitUntil(
      async () => {
        const s = await sleepState(id);
        return s.observed ? s : undefined;
      },
      1000,
      'the handler observing its cancellation',
    );
    expect(state).toEqual({ started: true, running: false, observed: true, reason: 'CANCELLED' });
  });

  conformance('payload schema: the gateway refuses a payload breaking the announced schema, naming each field', async () => {
    const error = await client.makeBackendRequest('conf.typed', { name: '', times: 'twice', extra: 1 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_PAYLOAD' });
    expect(issuePaths(error)).toEqual(['extra', 'name', 'times']);
    expect(await client.makeBackendRequest('conf.typed', { name: 'Ada', times: 2 })).toEqual({ greeting: 'Hello, Ada Hello, Ada' });
  });

  conformance('payload schema: the worker refuses it too when the gateway is bypassed, with the same fields', async () => {
    const id = uniqueId('direct-invalid');
    await direct.publish({ id, type: 'conf.typed', payload: { name: '', times: 'twice', extra: 1 } });
    const replies = await direct.replies(id);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.response).toMatchObject({ kind: 'error', seq: 0, attempt: 1, error: { code: 'INVALID_PAYLOAD' } });
    expect(issuePaths(errorOf(replies[0]!.response))).toEqual(['extra', 'name', 'times']);
  });

  conformance('context: attempt 1, the verified principal, and the traceparent the gateway made', async () => {
    const withToken = backend(await signToken('conf-user'));
    const attempt = { attempt: 1, hasTraceparent: true };
    expect(await withToken.makeBackendRequest('conf.attempt', null)).toMatchObject({ ...attempt, hasPrincipal: true, sub: 'conf-user' });
    expect(await client.makeBackendRequest('conf.attempt', null)).toMatchObject({ ...attempt, hasPrincipal: false, sub: null });
  });

  conformance("traceparent: the caller's arrives in the handler unchanged", async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const { responses } = await raw.call({ id: uniqueId('trace'), type: 'conf.attempt', payload: null, traceparent });
    expect(finalOf(responses)).toMatchObject({ kind: 'result', data: { traceparent, hasTraceparent: true } });
  });

  conformance('deadline passed on delivery: TIMEOUT at once, the handler never runs', async () => {
    const id = uniqueId('expired');
    await direct.publish({ id, type: 'conf.sleep', payload: { ms: 5000 }, headers: { 'x-warren-deadline': Date.now() - 1000 } });
    const replies = await direct.replies(id, 2000);
    expect(replies.map((r) => r.response)).toMatchObject([{ kind: 'error', id, seq: 0, attempt: 1, error: { code: 'TIMEOUT' } }]);
    expect(await sleepState(id)).toMatchObject({ started: false });
  });

  conformance('cancelled while queued: CANCELLED on delivery, the handler never runs', async () => {
    const id = uniqueId('precancel');
    await direct.cancel('conf.sleep', id);
    // The worker's cancel consumer has it well before the request arrives.
    await new Promise((r) => setTimeout(r, 300));
    await direct.publish({ id, type: 'conf.sleep', payload: { ms: 5000 } });
    const replies = await direct.replies(id, 2000);
    expect(replies.map((r) => r.response)).toMatchObject([{ kind: 'error', id, seq: 0, attempt: 1, error: { code: 'CANCELLED' } }]);
    expect(await sleepState(id)).toMatchObject({ started: false });
  });

  conformance('cancelled while no worker runs: the worker started afterwards answers CANCELLED and never runs it', async () => {
    // Issue 15: ns.control reaches live workers only; the cancel stream keeps it for the next one.
    await worker.kill();
    const id = uniqueId('nobody');
    await direct.publish({ id, type: 'conf.sleep', payload: { ms: 5000 } });
    await direct.cancel('conf.sleep', id);
    ({ proc: worker } = await startConformanceWorker(language, namespace));
    const replies = await direct.replies(id, 5000);
    expect(replies.map((r) => r.response)).toMatchObject([{ kind: 'error', id, seq: 0, attempt: 1, error: { code: 'CANCELLED' } }]);
    expect(await sleepState(id)).toMatchObject({ started: false });
    // The new worker serves: one nobody cancelled runs.
    expect(await client.makeBackendRequest('conf.echo', 'still here')).toBe('still here');
  });

  conformance('both cancelled and past its deadline on delivery: TIMEOUT (the deadline is checked first)', async () => {
    const id = uniqueId('both');
    await direct.cancel('conf.sleep', id);
    await new Promise((r) => setTimeout(r, 300));
    await direct.publish({ id, type: 'conf.sleep', payload: { ms: 5000 }, headers: { 'x-warren-deadline': Date.now() - 1000 } });
    const replies = await direct.replies(id, 2000);
    expect(replies.map((r) => r.response)).toMatchObject([{ kind: 'error', id, seq: 0, attempt: 1, error: { code: 'TIMEOUT' } }]);
    expect(await sleepState(id)).toMatchObject({ started: false });
  });

  conformance('reply routing: responses go to reply_to, even when x-warren-session names another session', async () => {
    const id = uniqueId('routing');
    await direct.publish({ id, type: 'conf.echo', payload: 1, headers: { 'x-warren-session': 'someone-else' } });
    const replies = await direct.replies(id, 2000);
    expect(replies.map((r) => r.response)).toMatchObject([{ kind: 'result', id, seq: 0, attempt: 1, data: 1 }]);
  });

  conformance('malformed request: a body that is not JSON is answered INVALID_REQUEST on its reply_to', async () => {
    const id = uniqueId('not-json');
    await direct.publish({ id, type: 'conf.echo', body: 'this is not JSON' });
    const replies = await direct.replies(id, 2000);
    expect(replies.map((r) => r.response)).toMatchObject([{ kind: 'error', id, seq: 0, attempt: 1, error: { code: 'INVALID_REQUEST' } }]);
  });

  conformance('malformed request: a body nested 5 000 levels deep is answered INVALID_REQUEST and frees its delivery', async () => {
    // More of them than the worker's prefetch: an unanswered one would hold a slot and the echo below would starve.
    const ids = range(4).map(() => uniqueId('deep'));
    const deep = `{"extra":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    for (const id of ids) await direct.publish({ id, type: 'conf.echo', body: deep });
    for (const id of ids) {
      const replies = await direct.replies(id, 3000);
      expect(replies.map((r) => r.response)).toMatchObject([
        { kind: 'error', id, seq: 0, error: { code: 'INVALID_REQUEST', message: expect.stringMatching(/deeper than 128/) } },
      ]);
    }
    const after = uniqueId('after-deep');
    await direct.publish({ id: after, type: 'conf.echo', payload: 2 });
    expect((await direct.replies(after, 3000)).map((r) => r.response)).toMatchObject([{ kind: 'result', id: after, data: 2 }]);
  });

  conformance('reply messages: one per response, seq 0…n, correlation_id = id, type = kind, persistent JSON', async () => {
    const id = uniqueId('props');
    await direct.publish({ id, type: 'conf.stream', payload: { n: 3 } });
    const replies = await direct.replies(id);
    // seq 0 of the attempt carries the worker stamp (docs/protocol.md, "Hops"); nothing else does.
    const stamp = {
      worker: {
        instance: expect.any(String),
        language: expect.stringMatching(/^(typescript|python)$/),
        service: expect.any(String),
        startedAt: expect.any(Number),
      },
    };
    expect(replies.map((r) => r.response)).toEqual([
      ...range(3).map((i) => ({ kind: 'chunk', id, seq: i, attempt: 1, data: { i }, ...(i === 0 ? stamp : {}) })),
      { kind: 'result', id, seq: 3, attempt: 1, data: { n: 3 } },
    ]);
    for (const { response, properties } of replies) {
      expect(properties).toEqual({ correlationId: id, type: response.kind, contentType: 'application/json', deliveryMode: 2 });
    }
  });
  conformance('fast lane: announced per type (conf.echo fast, conf.typed not), and the catalogue says so', async () => {
    const live = await catalogue();
    const instance = live.instances.find((i) => i.service === SDK[language].service);
    expect(instance).toBeDefined();
    const fastOf = (type: string) => live.types.find((t) => t.type === type)?.fast;
    expect(['conf.echo', 'conf.stream', 'conf.sleep', 'conf.attempt'].map(fastOf)).toEqual([true, true, true, true]);
    expect(fastOf('conf.typed')).toBe(false);
    expect([...(ready.fast as string[])].sort()).toEqual(['conf.attempt', 'conf.echo', 'conf.sleep', 'conf.stream']);
  });

  conformance('fast lane: a fast conf.echo is acked, answered unchanged with the worker stamp, through the fast lane', async () => {
    const id = uniqueId('fast-echo');
    const payload = { nested: { list: [1, 2.5, null] }, text: 'Ada ✓ — 東京' };
    const { ack, responses } = await raw.call({ id, type: 'conf.echo', payload, fast: true });
    expect(ack).toEqual({ ok: true, id });
    expect(responses).toEqual([
      {
        kind: 'result',
        id,
        seq: 0,
        attempt: 1,
        data: payload,
        worker: { instance: expect.any(String), language: SDK[language].language, service: SDK[language].service, startedAt: expect.any(Number) },
      },
    ]);
    expect(await tookFastLane(id)).toBe(true);
  });

  conformance('fast lane: a fast stream of 100 chunks arrives complete and in order, then the result', async () => {
    const id = uniqueId('fast-stream');
    const chunks: number[] = [];
    const result = await callWithId<{ n: number }>(id, 'conf.stream', { n: 100 }, { fast: true, onChunk: (chunk) => chunks.push((chunk as { i: number }).i) });
    expect(chunks).toEqual(range(100));
    expect(result).toEqual({ n: 100 });
    expect(await tookFastLane(id)).toBe(true);
  });

  conformance('fast lane: cancelling a fast conf.sleep gives CANCELLED, and the handler observes it within 1 s', async () => {
    const id = uniqueId('fast-cancel');
    const controller = new AbortController();
    const call = callWithId(id, 'conf.sleep', { ms: 10_000 }, { fast: true, signal: controller.signal, timeoutMs: 30_000 });
    call.catch(() => {});
    await waitUntil(async () => ((await sleepState(id)).started ? true : undefined), 5000, 'the handler starting');
    expect(await tookFastLane(id)).toBe(true);
    controller.abort();
    await expect(call).rejects.toMatchObject({ code: 'CANCELLED' });
    const state = await waitUntil(
      async () => {
        const s = await sleepState(id);
        return s.observed ? s : undefined;
      },
      1000,
      'the handler observing its cancellation',
    );
    expect(state).toEqual({ started: true, running: false, observed: true, reason: 'CANCELLED' });
  });

  conformance("fast lane: the caller's traceparent and principal reach the handler", async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const id = uniqueId('fast-trace');
    const { responses } = await raw.call({ id, type: 'conf.attempt', payload: null, traceparent, fast: true });
    expect(responses).toMatchObject([{ kind: 'result', data: { attempt: 1, traceparent, hasTraceparent: true, hasPrincipal: false } }]);
    expect(await tookFastLane(id)).toBe(true);
    const withToken = backend(await signToken('fast-user'));
    expect(await withToken.makeBackendRequest('conf.attempt', null, { fast: true })).toMatchObject({ hasPrincipal: true, sub: 'fast-user' });
  });

  conformance('fast lane: a type no live worker serves fast falls back to the durable path and is answered', async () => {
    const id = uniqueId('fast-fallback');
    expect(await callWithId(id, 'conf.typed', { name: 'Ada', times: 1 }, { fast: true })).toEqual({ greeting: 'Hello, Ada' });
    expect(await tookFastLane(id)).toBe(false);
    // Still validated against the announced schema first.
    await expect(client.makeBackendRequest('conf.typed', { name: '' }, { fast: true })).rejects.toMatchObject({ code: 'INVALID_PAYLOAD' });
  });

  conformance('fast lane: a fast request with a key is refused INVALID_REQUEST (retention needs the durable path)', async () => {
    const id = uniqueId('fast-key');
    const { ack } = await raw.call({ id, type: 'conf.echo', payload: 1, fast: true, key: uniqueId('key') });
    expect(ack).toMatchObject({ ok: false, id, error: { code: 'INVALID_REQUEST' } });
  });
  conformance('fast lane: a redelivered fast request is dropped unrun (at most once); fast replies are non-persistent and name the session', async () => {
    // No worker while the request is taken and handed back, so nobody else can take it first.
    await worker.kill();
    const redelivered = uniqueId('fast-redelivered');
    await direct.publishFastRedelivered({ id: redelivered, type: 'conf.sleep', payload: { ms: 5000 } });
    ({ proc: worker } = await startConformanceWorker(language, namespace));
    const fresh = uniqueId('fast-fresh');
    await direct.publishFast({ id: fresh, type: 'conf.stream', payload: { n: 2 } });
    const replies = await direct.fastReplies(fresh);
    expect(replies.map((r) => r.response)).toMatchObject([
      { kind: 'chunk', id: fresh, seq: 0, data: { i: 0 } },
      { kind: 'chunk', id: fresh, seq: 1, data: { i: 1 } },
      { kind: 'result', id: fresh, seq: 2, data: { n: 2 } },
    ]);
    for (const reply of replies) {
      expect(reply.session).toBe(direct.session);
      expect(reply.properties).toMatchObject({ correlationId: fresh, contentType: 'application/json' });
      expect(reply.properties.deliveryMode).not.toBe(2);
    }
    expect(await sleepState(redelivered)).toMatchObject({ started: false });
    expect(direct.fastRepliesNow(redelivered)).toEqual([]);
  });
});
