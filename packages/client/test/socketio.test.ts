// The backend against a real in-process socket.io server, through the
// default connect (the real socket.io-client).
import { afterEach, describe, expect, it } from 'vitest';
import { createBackend, createMemorySessionStore, type Backend } from '../src/index.ts';
import { eventually, startFakeGateway } from './fake-gateway.ts';

const open: Backend[] = [];
afterEach(() => {
  for (const backend of open.splice(0)) backend.close();
});

const connectTo = (url: string): Backend => {
  let n = 0;
  const backend = createBackend({ url, sessionStore: createMemorySessionStore(), createId: () => `r-${++n}` });
  open.push(backend);
  return backend;
};

describe('against a real socket.io server', () => {
  it('streams chunks and the result, acking every response', async () => {
    const served: Promise<void>[] = [];
    const gateway = await startFakeGateway((frame, ack, socket, gw) => {
      ack({ ok: true, id: frame.id });
      served.push(
        (async () => {
          const { count } = frame.payload as { count: number };
          for (let seq = 0; seq < count; seq += 1) {
            await gw.respond(socket, { kind: 'chunk', id: frame.id, seq, attempt: 1, data: { seq, text: `chunk ${seq + 1} of ${count}` } });
          }
          await gw.respond(socket, { kind: 'result', id: frame.id, seq: count, attempt: 1, data: { count } });
        })(),
      );
    });
    const backend = connectTo(gateway.url);
    const texts: string[] = [];
    const summary = await backend.makeBackendRequest<{ count: number }, { text: string }>(
      'testRequest',
      { count: 3 },
      { onChunk: (chunk) => texts.push(chunk.text), timeoutMs: 5000 },
    );
    expect(summary).toEqual({ count: 3 });
    expect(texts).toEqual(['chunk 1 of 3', 'chunk 2 of 3', 'chunk 3 of 3']);
    expect(gateway.requests[0]).toMatchObject({ id: 'r-1', type: 'testRequest', payload: { count: 3 } });
    expect(backend.getSnapshot()).toEqual({ status: 'connected', sessionId: 's-1' });
    // The result's ack is on its way when the call settles: the gateway has it before the test closes it.
    await Promise.all(served);
  });

  it('asks for response batches in its handshake and reads a real responses frame, acking it once', async () => {
    let acks = 0;
    const gateway = await startFakeGateway((frame, ack, socket) => {
      ack({ ok: true, id: frame.id });
      const batch = [
        { kind: 'chunk', id: frame.id, seq: 0, attempt: 1, data: 'a' },
        { kind: 'chunk', id: frame.id, seq: 1, attempt: 1, data: 'b' },
        { kind: 'result', id: frame.id, seq: 2, attempt: 1, data: 'done' },
      ];
      socket.emit('responses', batch, () => {
        acks += 1;
      });
    });
    const backend = connectTo(gateway.url);
    const chunks: unknown[] = [];
    await expect(backend.makeBackendRequest('t', null, { onChunk: (c) => chunks.push(c), timeoutMs: 5000 })).resolves.toBe('done');
    expect(chunks).toEqual(['a', 'b']);
    expect(gateway.auths[0]).toMatchObject({ capabilities: ['response-batches', 'fast-answers', 'cumulative-acks', 'data-bytes'] });
    await eventually(() => expect(acks).toBe(1));
  });

  it('reads data sent as bytes (data-bytes): a real binary attachment, in a response frame and in an ack; bytes that are not JSON are dropped', async () => {
    const big = { text: 'z'.repeat(100_000), n: [1, 2, 3] };
    const bytes = (value: string) => Buffer.from(value);
    const gateway = await startFakeGateway((frame, ack, socket) => {
      const id = frame.id;
      if (frame.type === 'in-ack') return ack({ ok: true, id, response: { kind: 'result', id, seq: 0, attempt: 1, dataJson: bytes(JSON.stringify(big)) } });
      ack({ ok: true, id });
      // Not JSON: dropped as a malformed response; the result after it settles the call.
      if (frame.type === 'bad') socket.emit('response', { kind: 'chunk', id, seq: 0, attempt: 1, dataJson: bytes('{"a":') }, () => {});
      socket.emit('response', { kind: 'result', id, seq: 0, attempt: 1, dataJson: bytes(JSON.stringify(big)) }, () => {});
    });
    const backend = connectTo(gateway.url);
    await expect(backend.makeBackendRequest('frame', null, { timeoutMs: 5000 })).resolves.toEqual(big);
    await expect(backend.makeBackendRequest('in-ack', null, { timeoutMs: 5000, fast: true })).resolves.toEqual(big);
    const chunks: unknown[] = [];
    await expect(backend.makeBackendRequest('bad', null, { timeoutMs: 5000, onChunk: (c) => chunks.push(c) })).resolves.toEqual(big);
    expect(chunks).toEqual([]);
  });

  it('rejects with the code of a real gateway ack', async () => {
    const gateway = await startFakeGateway((frame, ack) => {
      ack({ ok: false, id: frame.id, error: { code: 'NO_HANDLER', message: `No worker serves request type "${frame.type}".` } });
    });
    const backend = connectTo(gateway.url);
    await expect(backend.makeBackendRequest('nope', null)).rejects.toMatchObject({ code: 'NO_HANDLER' });
  });

  it('resumes its session with the stored token and re-sends an unacked request after reconnect', async () => {
    const served: Promise<void>[] = [];
    const gateway = await startFakeGateway((frame, ack, socket, gw) => {
      if (gw.requests.length === 1) {
        // lose the connection before accepting: the client must send it again
        socket.conn.close();
        return;
      }
      ack({ ok: true, id: frame.id });
      served.push(gw.respond(socket, { kind: 'result', id: frame.id, seq: 0, attempt: 1, data: 'second time lucky' }));
    });
    const backend = connectTo(gateway.url);
    const statuses: string[] = [];
    backend.subscribe(() => statuses.push(backend.status()));
    await expect(backend.makeBackendRequest('testRequest', {}, { timeoutMs: 5000 })).resolves.toBe('second time lucky');
    expect(gateway.requests.map((r) => r.id)).toEqual(['r-1', 'r-1']);
    expect(gateway.auths).toEqual([
      { capabilities: ['response-batches', 'fast-answers', 'cumulative-acks', 'data-bytes'] },
      { session: 's-1.sig', capabilities: ['response-batches', 'fast-answers', 'cumulative-acks', 'data-bytes'] },
    ]);
    expect(statuses).toEqual(expect.arrayContaining(['connected', 'reconnecting']));
    expect(backend.getSnapshot()).toEqual({ status: 'connected', sessionId: 's-1' });
    await Promise.all(served); // the result's ack reached the gateway
  });

  it('keeps an accepted request alive across a reconnect', async () => {
    const gateway = await startFakeGateway((frame, ack, socket) => {
      ack({ ok: true, id: frame.id });
      setTimeout(() => socket.conn.close(), 20);
    });
    const backend = connectTo(gateway.url);
    const call = backend.makeBackendRequest('testRequest', {}, { timeoutMs: 5000 });
    await eventually(() => expect(gateway.auths).toHaveLength(2));
    await eventually(() => expect(backend.status()).toBe('connected'));
    await gateway.respond(gateway.socket(), { kind: 'result', id: 'r-1', seq: 0, attempt: 1, data: 'after reconnect' });
    await expect(call).resolves.toBe('after reconnect');
    expect(gateway.requests).toHaveLength(1);
  });

  it('reconnects after the server disconnects it, and cancels on abort', async () => {
    const gateway = await startFakeGateway((frame, ack) => ack({ ok: true, id: frame.id }));
    const backend = connectTo(gateway.url);
    await eventually(() => expect(backend.status()).toBe('connected'));
    gateway.socket().disconnect(true);
    await eventually(() => expect(gateway.auths).toHaveLength(2));
    await eventually(() => expect(backend.status()).toBe('connected'));
    const controller = new AbortController();
    const call = backend.makeBackendRequest('testRequest', {}, { signal: controller.signal });
    await eventually(() => expect(gateway.requests).toHaveLength(1));
    controller.abort();
    await expect(call).rejects.toMatchObject({ code: 'CANCELLED' });
    await eventually(() => expect(gateway.cancels).toEqual([{ id: 'r-1', type: 'testRequest' }]));
  });

  it('rejects a payload socket.io cannot encode with INVALID_REQUEST', async () => {
    const gateway = await startFakeGateway((frame, ack) => ack({ ok: true, id: frame.id }));
    const backend = connectTo(gateway.url);
    await eventually(() => expect(backend.status()).toBe('connected'));
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await expect(backend.makeBackendRequest('testRequest', circular)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    expect(backend.status()).toBe('connected');
  });

  it('ships client logs', async () => {
    const gateway = await startFakeGateway(() => undefined);
    const backend = connectTo(gateway.url);
    await eventually(() => expect(backend.status()).toBe('connected'));
    backend.logger.info('hello from the browser', { page: 'home' });
    backend.logger.flush();
    await eventually(() =>
      expect(gateway.logs).toEqual([{ entries: [expect.objectContaining({ level: 'info', msg: 'hello from the browser', fields: { page: 'home' } })] }]),
    );
  });
});
