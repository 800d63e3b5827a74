import { isWarrenError } from '@warren/protocol';
import { describe, expect, it } from 'vitest';
import { chunk, failure, result } from './fake-socket.ts';
import { rejectionOf, setup } from './setup.ts';

describe('makeBackendRequest', () => {
  it('emits a request frame with an ack callback and resolves with the result', async () => {
    const { socket, backend } = setup();
    const call = backend.makeBackendRequest('testRequest', { count: 1 }, { timeoutMs: 5000 });
    const sent = socket.request('r-1');
    expect(sent.body).toMatchObject({ id: 'r-1', type: 'testRequest', payload: { count: 1 } });
    expect((sent.body as { timeoutMs: number }).timeoutMs).toBeGreaterThan(4900);
    expect(sent.ack).toBeTypeOf('function');
    sent.ack?.({ ok: true, id: 'r-1' });
    expect(socket.respond(result('r-1', 0, { count: 1 }))).toBe(true);
    await expect(call).resolves.toEqual({ count: 1 });
  });

  it('sends the default timeout and null for a missing payload', async () => {
    const { socket, backend } = setup();
    void backend.makeBackendRequest('ping').catch(() => undefined);
    const body = socket.request('r-1').body as { payload: unknown; timeoutMs: number };
    expect(body.payload).toBeNull();
    expect(body.timeoutMs).toBeGreaterThan(59_000);
    expect(body.timeoutMs).toBeLessThanOrEqual(60_000);
  });

  it('sends no timeoutMs and sets no deadline when timeoutMs is 0', async () => {
    const { socket, backend } = setup({ defaultTimeoutMs: 10 });
    let settled = false;
    void backend
      .makeBackendRequest('ping', null, { timeoutMs: 0 })
      .finally(() => (settled = true))
      .catch(() => undefined);
    expect(socket.request('r-1').body).not.toHaveProperty('timeoutMs');
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(settled).toBe(false);
  });

  it.each(['NO_HANDLER', 'RATE_LIMITED', 'UNAUTHORIZED', 'BROKER_UNAVAILABLE'] as const)('rejects with the gateway ack code %s', async (code) => {
    const { socket, backend } = setup();
    const call = backend.makeBackendRequest('nope', null);
    socket.request('r-1').ack?.({ ok: false, id: 'r-1', error: { code, message: `refused: ${code}` } });
    const error = await rejectionOf(call);
    expect(isWarrenError(error)).toBe(true);
    expect(error).toMatchObject({ code, message: `refused: ${code}` });
  });

  it('rejects with the code of an error response', async () => {
    const { socket, backend } = setup();
    const call = backend.makeBackendRequest('testRequest', {});
    socket.request('r-1').ack?.({ ok: true, id: 'r-1' });
    socket.respond(failure('r-1', 0, 'WORKER_ERROR', 'boom'));
    await expect(call).rejects.toMatchObject({ code: 'WORKER_ERROR', message: 'boom' });
  });

  it('delivers chunks in order with their seq and attempt', async () => {
    const { socket, backend } = setup();
    const seen: unknown[] = [];
    const call = backend.makeBackendRequest('testRequest', {}, { onChunk: (data, meta) => seen.push([data, meta]) });
    socket.request('r-1').ack?.({ ok: true, id: 'r-1' });
    socket.respond(chunk('r-1', 0, 'a'));
    socket.respond(chunk('r-1', 1, 'b'));
    socket.respond(result('r-1', 2, 'done'));
    await expect(call).resolves.toBe('done');
    expect(seen).toEqual([
      ['a', { seq: 0, attempt: 1 }],
      ['b', { seq: 1, attempt: 1 }],
    ]);
  });

  it('drops duplicate chunks and reorders out-of-order ones, acking every frame', async () => {
    const { socket, backend } = setup();
    const seen: unknown[] = [];
    const call = backend.makeBackendRequest('testRequest', {}, { onChunk: (data) => seen.push(data) });
    const frames = [chunk('r-1', 1, 'b'), chunk('r-1', 0, 'a'), chunk('r-1', 0, 'a'), result('r-1', 3, 'done'), chunk('r-1', 1, 'b'), chunk('r-1', 2, 'c')];
    expect(frames.map((f) => socket.respond(f))).toEqual(frames.map(() => true));
    await expect(call).resolves.toBe('done');
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('restarts on a higher attempt: onRestart fires and chunks start again at seq 0', async () => {
    const { socket, backend } = setup();
    const events: unknown[] = [];
    const call = backend.makeBackendRequest(
      'testRequest',
      {},
      {
        onChunk: (data, meta) => events.push(`${String(data)}@${meta.attempt}:${meta.seq}`),
        onRestart: (attempt) => events.push(`restart ${attempt}`),
      },
    );
    socket.respond(chunk('r-1', 0, 'a'));
    socket.respond(chunk('r-1', 1, 'b'));
    socket.respond(chunk('r-1', 0, 'A', 2));
    socket.respond(chunk('r-1', 2, 'late', 1)); // old attempt: ignored
    socket.respond(result('r-1', 1, 'done', 2));
    await expect(call).resolves.toBe('done');
    expect(events).toEqual(['a@1:0', 'b@1:1', 'restart 2', 'A@2:0']);
  });

  it('accepts a response that arrives before the ack, and ignores the later ack', async () => {
    const { socket, backend } = setup();
    const call = backend.makeBackendRequest('testRequest', {});
    socket.respond(result('r-1', 0, 42));
    socket.request('r-1').ack?.({ ok: false, error: { code: 'INTERNAL', message: 'late' } });
    await expect(call).resolves.toBe(42);
  });

  it('times out with TIMEOUT when nothing answers, and cancels', async () => {
    const { socket, backend } = setup();
    const started = Date.now();
    const error = await rejectionOf(backend.makeBackendRequest('slow', {}, { timeoutMs: 50 }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(error).toMatchObject({ code: 'TIMEOUT' });
    expect((error as Error).message).toContain('50 ms');
    expect(socket.bodies('cancel')).toEqual([{ id: 'r-1', type: 'slow' }]);
  });

  it('times out even after the gateway accepted the request', async () => {
    const { socket, backend } = setup();
    const call = backend.makeBackendRequest('slow', {}, { timeoutMs: 30 });
    socket.request('r-1').ack?.({ ok: true, id: 'r-1' });
    socket.respond(chunk('r-1', 0, 'partial'));
    await expect(call).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('cancels at once on abort, emits cancel, and ignores (but acks) later responses', async () => {
    const { socket, backend } = setup();
    const controller = new AbortController();
    const seen: unknown[] = [];
    const call = backend.makeBackendRequest('testRequest', {}, { signal: controller.signal, onChunk: (d) => seen.push(d) });
    socket.request('r-1').ack?.({ ok: true, id: 'r-1' });
    controller.abort();
    await expect(call).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(socket.bodies('cancel')).toEqual([{ id: 'r-1', type: 'testRequest' }]);
    expect(socket.respond(chunk('r-1', 0, 'late'))).toBe(true);
    expect(socket.respond(failure('r-1', 1, 'CANCELLED', 'cancelled'))).toBe(true);
    expect(seen).toEqual([]);
  });

  it('rejects an already-aborted call with CANCELLED without sending anything', async () => {
    const { socket, backend } = setup();
    await expect(backend.makeBackendRequest('testRequest', {}, { signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'CANCELLED',
    });
    expect(socket.emitted).toEqual([]);
  });

  it('lets onChunk abort its own request', async () => {
    const { socket, backend } = setup();
    const controller = new AbortController();
    const seen: unknown[] = [];
    const call = backend.makeBackendRequest(
      't',
      {},
      {
        signal: controller.signal,
        onChunk: (data) => {
          seen.push(data);
          controller.abort();
        },
      },
    );
    socket.respond(chunk('r-1', 1, 'b'));
    socket.respond(chunk('r-1', 0, 'a')); // releases a and b in one go
    await expect(call).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(seen).toEqual(['a']);
  });

  it.each([
    ['a bad type', 'not a type!', {}],
    ['a negative timeout', 'ok', { timeoutMs: -1 }],
    ['a fractional timeout', 'ok', { timeoutMs: 1.5 }],
  ])('rejects %s with INVALID_REQUEST and sends nothing', async (_label, type, options) => {
    const { socket, backend } = setup();
    await expect(backend.makeBackendRequest(type, {}, options)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    expect(socket.emitted).toEqual([]);
  });

  it('rejects ids from createId that the protocol would refuse', async () => {
    const { backend } = setup({ createId: () => 'has spaces' });
    await expect(backend.makeBackendRequest('t', {})).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('ignores and acks malformed frames and unknown ids', async () => {
    const { socket, backend } = setup();
    const call = backend.makeBackendRequest('t', {});
    for (const bad of [null, 'text', { kind: 'chunk' }, { kind: 'nope', id: 'r-1', seq: 0, attempt: 1 }, result('r-9', 0, 1)]) {
      expect(socket.respond(bad as Record<string, unknown>)).toBe(true);
    }
    socket.request('r-1').ack?.('garbage');
    socket.serverEmit('session', { nope: true });
    socket.respond(result('r-1', 0, 'ok'));
    await expect(call).resolves.toBe('ok');
  });

  it('survives an onChunk that throws and reports it through the logger', async () => {
    const { socket, backend } = setup();
    const original = console.error;
    console.error = () => undefined;
    try {
      const call = backend.makeBackendRequest(
        't',
        {},
        {
          onChunk: () => {
            throw new Error('render failed');
          },
        },
      );
      expect(socket.respond(chunk('r-1', 0, 'a'))).toBe(true);
      socket.respond(result('r-1', 1, 'ok'));
      await expect(call).resolves.toBe('ok');
      backend.logger.flush();
      const entries = socket.bodies('client-log').flatMap((b) => (b as { entries: unknown[] }).entries);
      expect(entries).toContainEqual(expect.objectContaining({ level: 'error', requestId: 'r-1' }));
    } finally {
      console.error = original;
    }
  });

  it('keeps many requests apart by id', async () => {
    const { socket, backend } = setup();
    const calls = [1, 2, 3].map((n) => backend.makeBackendRequest('t', { n }));
    socket.respond(result('r-3', 0, 'three'));
    socket.respond(result('r-1', 0, 'one'));
    socket.respond(failure('r-2', 0, 'INVALID_PAYLOAD', 'bad'));
    expect(await Promise.allSettled(calls)).toEqual([
      { status: 'fulfilled', value: 'one' },
      { status: 'rejected', reason: expect.objectContaining({ code: 'INVALID_PAYLOAD' }) },
      { status: 'fulfilled', value: 'three' },
    ]);
  });

  it('refuses a payload above the limit the session frame announced with PAYLOAD_TOO_LARGE, without sending it (issue 12, finding 9)', async () => {
    const { socket, backend } = setup();
    socket.serverEmit('session', { sessionId: 's-1', token: 's-1.sig', limits: { maxPayloadBytes: 100 } });
    const big = await rejectionOf(backend.makeBackendRequest('testRequest', { text: 'x'.repeat(200) }));
    expect(big).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', message: expect.stringMatching(/at most 100/) });
    expect(socket.emitted.filter((e) => e.event === 'request')).toHaveLength(0);
    // Within the limit: sent as usual.
    void backend.makeBackendRequest('testRequest', { text: 'ok' }).catch(() => undefined);
    expect(socket.emitted.filter((e) => e.event === 'request')).toHaveLength(1);
  });

  it('fails at once a request sent before the limit was known once the session frame says it is too large', async () => {
    const { socket, backend } = setup();
    const early = backend.makeBackendRequest('testRequest', { text: 'x'.repeat(200) }, { timeoutMs: 60_000 });
    expect(socket.emitted.filter((e) => e.event === 'request')).toHaveLength(1);
    socket.serverEmit('session', { sessionId: 's-1', token: 's-1.sig', limits: { maxPayloadBytes: 100 } });
    expect(await rejectionOf(early)).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });
});
