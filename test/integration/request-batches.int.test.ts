// Request batches on the socket hop (capability request-batches) through real
// RabbitMQ: @warren/client sends the requests of one tick to a gateway that
// lists the capability as one `requests` frame, and every one comes back with
// its own result; a duplicate id inside one frame is answered as two
// `request` frames would be. The gateway's sockets count what arrives
// (socket.onAny), so the frames are the real ones on the wire.
import { pino } from 'pino';
import { io, type Socket as ClientSocket } from 'socket.io-client';
import type { Socket } from 'socket.io';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAPABILITIES, type Ack } from '@warren/protocol';
import { createBackend, createMemorySessionStore, type Backend } from '@warren/client';
import { createGateway, type Gateway } from '@warren/gateway';
import { registerHandlers, type WorkerHandle } from '@warren/worker';
import { AMQP_URL, deleteNamespace, uniqueNamespace } from '../support/rabbit.ts';
import { waitFor } from '../support/wait.ts';

const namespace = uniqueNamespace('reqbatch');
const quiet = pino({ level: 'warn' });
let gateway: Gateway;
let worker: WorkerHandle;
const backends: Backend[] = [];
const sockets: ClientSocket[] = [];
/** Every client → gateway event the gateway read, with how many requests it held. */
const arrived: { event: string; requests: number }[] = [];

beforeAll(async () => {
  gateway = await createGateway({ url: AMQP_URL, namespace, port: 0, host: '127.0.0.1', log: quiet });
  gateway.io.on('connection', (socket: Socket) => {
    socket.onAny((event: string, body: unknown) => {
      if (event === 'request' || event === 'requests') arrived.push({ event, requests: Array.isArray(body) ? body.length : 1 });
    });
  });
  worker = await registerHandlers(
    { service: 'reqbatch', url: AMQP_URL, namespace, log: quiet, announce: false },
    { 'rb.echo': async (payload: { n: number }) => ({ doubled: payload.n * 2 }) },
  );
});

afterAll(async () => {
  for (const backend of backends) backend.close();
  for (const socket of sockets) socket.close();
  await worker?.close();
  await gateway?.close();
  await deleteNamespace(namespace);
});

describe('request batches on RabbitMQ', () => {
  it('sends 8 requests of one tick as one `requests` frame, and each resolves with its own result', async () => {
    const backend = createBackend({ url: gateway.url, sessionStore: createMemorySessionStore() });
    backends.push(backend);
    // Batching starts once this connection's session frame listed the capability.
    expect(await waitFor(() => backend.getSnapshot().sessionId !== null)).toBe(true);
    arrived.length = 0;
    const results = await Promise.all(Array.from({ length: 8 }, (_, n) => backend.makeBackendRequest('rb.echo', { n })));
    expect(results).toEqual(Array.from({ length: 8 }, (_, n) => ({ doubled: n * 2 })));
    expect(arrived).toEqual([{ event: 'requests', requests: 8 }]);
  });

  it('answers a duplicate id inside one frame as two `request` frames would: the first copy’s ack, or DUPLICATE_ID', async () => {
    const socket = io(gateway.url, { transports: ['websocket'], reconnection: false, forceNew: true });
    sockets.push(socket);
    const session = (await new Promise((resolve) => socket.once('session', resolve))) as { capabilities?: string[] };
    expect(session.capabilities).toContain(CAPABILITIES.requestBatches);
    const results: Record<string, unknown> = {};
    socket.on('response', (response: { id: string; kind: string; data?: unknown }, ack: () => void) => {
      if (response.kind !== 'chunk') results[response.id] = response.data;
      ack();
    });
    const batch = (frames: unknown[]) => new Promise<Ack[]>((resolve) => socket.emit('requests', frames, resolve));
    const acks = await batch([
      { id: 'dup', type: 'rb.echo', payload: { n: 1 } },
      { id: 'dup', type: 'rb.echo', payload: { n: 1 } },
      { id: 'dup', type: 'rb.echo', payload: { n: 2 } },
      { id: 'other', type: 'rb.echo', payload: { n: 3 } },
    ]);
    expect(acks[0]).toEqual({ ok: true, id: 'dup' });
    expect(acks[1]).toEqual(acks[0]);
    expect(acks[2]).toMatchObject({ ok: false, id: 'dup', error: { code: 'DUPLICATE_ID' } });
    expect(acks[3]).toEqual({ ok: true, id: 'other' });

    // The same three frames as `request` frames get the same answers.
    const one = (frame: unknown) => new Promise<Ack>((resolve) => socket.emit('request', frame, resolve));
    const singles = await Promise.all([
      one({ id: 'dup2', type: 'rb.echo', payload: { n: 1 } }),
      one({ id: 'dup2', type: 'rb.echo', payload: { n: 1 } }),
      one({ id: 'dup2', type: 'rb.echo', payload: { n: 2 } }),
    ]);
    expect(singles.map((a) => (a.ok ? 'ok' : a.error.code))).toEqual(acks.slice(0, 3).map((a) => (a.ok ? 'ok' : a.error.code)));

    expect(await waitFor(() => 'dup' in results && 'other' in results && 'dup2' in results)).toBe(true);
    expect(results).toEqual({ dup: { doubled: 2 }, other: { doubled: 6 }, dup2: { doubled: 2 } });
  });
});
