// Data as bytes (capability data-bytes, decision 0017) through real
// RabbitMQ: a large durable answer reaches a client that asked with its
// data as the worker's bytes (`dataJson`, a binary attachment), and
// @warren/client reads it back into the same value; a client that did not
// ask, and a small answer, get `data` as before.
import { pino } from 'pino';
import { io, type Socket as ClientSocket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAPABILITIES } from '@warren/protocol';
import { createBackend, createMemorySessionStore, type Backend } from '@warren/client';
import { createGateway, type Gateway } from '@warren/gateway';
import { registerHandlers, type WorkerHandle } from '@warren/worker';
import { AMQP_URL, deleteNamespace, uniqueNamespace } from '../support/rabbit.ts';

const namespace = uniqueNamespace('databytes');
const quiet = pino({ level: 'warn' });
let gateway: Gateway;
let worker: WorkerHandle;
const backends: Backend[] = [];
const sockets: ClientSocket[] = [];

// Text with what JSON escapes and multi-byte UTF-8, past the gateway's 64 KB threshold.
const big = { text: `"quoted" \\ é ☃ 𝄞 ${'w'.repeat(150_000)}`, list: [1, 2.5, null, true, { '}': ']' }] };

beforeAll(async () => {
  gateway = await createGateway({ url: AMQP_URL, namespace, port: 0, host: '127.0.0.1', log: quiet });
  worker = await registerHandlers(
    { service: 'databytes', url: AMQP_URL, namespace, log: quiet, announce: false },
    {
      'db.echo': (payload: unknown) => payload,
      'db.stream': async (payload: { n: number }, ctx) => {
        for (let i = 0; i < payload.n; i++) await ctx.sendChunk({ i, big });
        return { n: payload.n };
      },
    },
  );
});

afterAll(async () => {
  for (const backend of backends) backend.close();
  for (const socket of sockets) socket.close();
  await worker?.close();
  await gateway?.close();
  await deleteNamespace(namespace);
});

/** A raw Socket.IO client: the first `response` frame's body for one echo, acked. */
const echoOnce = async (capabilities: string[], payload: unknown) => {
  const socket = io(gateway.url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { capabilities } });
  sockets.push(socket);
  const session = (await new Promise((resolve) => socket.once('session', resolve))) as { capabilities?: string[] };
  const response = new Promise<Record<string, unknown>>((resolve) =>
    socket.on('response', (body: Record<string, unknown>, ack: unknown) => {
      if (typeof ack === 'function') ack();
      resolve(body);
    }),
  );
  socket.emit('request', { id: 'e-1', type: 'db.echo', payload }, () => {});
  return { session, body: await response };
};

describe('data as bytes on RabbitMQ', () => {
  it('sends a large answer to a client that asked as dataJson bytes, to one that did not as data', async () => {
    const asked = await echoOnce([CAPABILITIES.dataBytes], big);
    expect(asked.session.capabilities).toContain(CAPABILITIES.dataBytes);
    expect(asked.body).not.toHaveProperty('data');
    expect(Buffer.isBuffer(asked.body.dataJson)).toBe(true);
    expect(JSON.parse((asked.body.dataJson as Buffer).toString('utf8'))).toEqual(big);
    expect(asked.body).toMatchObject({ kind: 'result', id: 'e-1', seq: 0, attempt: 1 });

    const plain = await echoOnce([], big);
    expect(plain.body).not.toHaveProperty('dataJson');
    expect(plain.body.data).toEqual(big);

    const small = await echoOnce([CAPABILITIES.dataBytes], { a: 1 });
    expect(small.body).not.toHaveProperty('dataJson');
    expect(small.body.data).toEqual({ a: 1 });
  });

  it('@warren/client gets the same values: a large echo and large chunks', async () => {
    const backend = createBackend({ url: gateway.url, sessionStore: createMemorySessionStore() });
    backends.push(backend);
    await expect(backend.makeBackendRequest('db.echo', big, { timeoutMs: 30_000 })).resolves.toEqual(big);
    const chunks: unknown[] = [];
    await expect(backend.makeBackendRequest('db.stream', { n: 3 }, { timeoutMs: 30_000, onChunk: (c) => chunks.push(c) })).resolves.toEqual({ n: 3 });
    expect(chunks).toEqual([0, 1, 2].map((i) => ({ i, big })));
  });
});
