// Response batches on the socket hop (capability response-batches) through
// real RabbitMQ: a client that asks for them in its handshake gets a stream
// as a few `responses` frames, complete and in order, and its acks settle
// every reply message; a client that does not ask (an older client) gets
// the same stream as one `response` frame per response.
import { pino } from 'pino';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAPABILITIES, RESPONSES_FRAME, type Response } from '@warren/protocol';
import { createGateway, type Gateway } from '@warren/gateway';
import { registerHandlers, type WorkerHandle } from '@warren/worker';
import { AMQP_URL, deleteNamespace, readQueueStats, uniqueNamespace } from '../support/rabbit.ts';
import { waitFor, waitUntil } from '../support/wait.ts';

const namespace = uniqueNamespace('sockbatch');
const quiet = pino({ level: 'warn' });
const CHUNKS = 300;
const CHUNK_TEXT = 'x'.repeat(500); // 300 × ≈ 560 bytes: more than two frames' byte bound
let gateway: Gateway;
let worker: WorkerHandle;
const sockets: Socket[] = [];

/** A raw Socket.IO client that records every frame it receives and acks it. */
const client = async (auth: Record<string, unknown>) => {
  const socket = io(gateway.url, { transports: ['websocket'], reconnection: false, forceNew: true, auth });
  sockets.push(socket);
  const frames: { event: string; count: number }[] = [];
  const responses: Response[] = [];
  socket.on('response', (response: Response, ack: () => void) => {
    frames.push({ event: 'response', count: 1 });
    responses.push(response);
    ack();
  });
  socket.on('responses', (batch: Response[], ack: () => void) => {
    frames.push({ event: 'responses', count: batch.length });
    responses.push(...batch);
    ack();
  });
  const session = (await new Promise((resolve) => socket.once('session', resolve))) as { sessionId: string; capabilities?: string[] };
  const ask = (frame: Record<string, unknown>) => new Promise<any>((resolve) => socket.emit('request', frame, resolve));
  return { socket, session, frames, responses, ask };
};

beforeAll(async () => {
  gateway = await createGateway({ url: AMQP_URL, namespace, port: 0, host: '127.0.0.1', log: quiet });
  worker = await registerHandlers(
    { service: 'sockbatch', url: AMQP_URL, namespace, log: quiet, announce: false },
    {
      // Every chunk in one tick: the worker's batch replies carry them, many per AMQP message.
      'sb.stream': async (payload: { n: number }, ctx) => {
        for (let i = 0; i < payload.n; i++) void ctx.sendChunk({ i, text: CHUNK_TEXT });
        return { n: payload.n };
      },
    },
  );
});

afterAll(async () => {
  for (const socket of sockets) socket.close();
  await worker?.close();
  await gateway?.close();
  await deleteNamespace(namespace);
});

const expectCompleteInOrder = (responses: Response[], id: string) => {
  const mine = responses.filter((r) => r.id === id);
  expect(mine.map((r) => r.seq)).toEqual(Array.from({ length: CHUNKS + 1 }, (_, i) => i));
  expect(mine.slice(0, CHUNKS).every((r) => r.kind === 'chunk')).toBe(true);
  expect(mine[CHUNKS]).toMatchObject({ kind: 'result', data: { n: CHUNKS } });
  expect(mine.slice(0, CHUNKS).map((r) => (r.kind === 'chunk' ? (r.data as { i: number }).i : -1))).toEqual(Array.from({ length: CHUNKS }, (_, i) => i));
};

/** Nothing waits unacked in the session's reply queue: the frame acks settled every delivery. */
const replyQueueSettled = async (sessionId: string) => {
  const stats = (await readQueueStats(namespace))[`${namespace}.reply.${sessionId}`];
  return stats !== undefined && stats.ready === 0 && stats.unacked === 0;
};

describe('response batches on RabbitMQ', () => {
  it('streams to a client that asked for batches in a few responses frames, complete and in order, and settles the reply queue', async () => {
    const c = await client({ capabilities: [CAPABILITIES.responseBatches] });
    expect(c.session.capabilities).toContain(CAPABILITIES.responseBatches);
    expect(await c.ask({ id: 'batched-1', type: 'sb.stream', payload: { n: CHUNKS } })).toEqual({ ok: true, id: 'batched-1' });
    expect(await waitFor(() => c.responses.some((r) => r.id === 'batched-1' && r.kind === 'result'))).toBe(true);
    expectCompleteInOrder(c.responses, 'batched-1');
    const batches = c.frames.filter((f) => f.event === 'responses');
    expect(batches.length).toBeGreaterThan(0);
    // Far fewer frames than responses, none past the frame's bound.
    expect(c.frames.length).toBeLessThan((CHUNKS + 1) / 4);
    expect(Math.max(...c.frames.map((f) => f.count))).toBeLessThanOrEqual(RESPONSES_FRAME.maxResponses);
    // The byte bound split the stream: it is bigger than two frames' worth.
    expect(c.frames.length).toBeGreaterThanOrEqual(3);
    expect(await waitUntil(() => replyQueueSettled(c.session.sessionId), 15_000)).toBe(true);
  });

  it('streams to a client without the handshake flag (an older client) one response frame per response, complete and in order', async () => {
    const c = await client({});
    expect(await c.ask({ id: 'single-1', type: 'sb.stream', payload: { n: CHUNKS } })).toEqual({ ok: true, id: 'single-1' });
    expect(await waitFor(() => c.responses.some((r) => r.id === 'single-1' && r.kind === 'result'))).toBe(true);
    expectCompleteInOrder(c.responses, 'single-1');
    expect(c.frames.every((f) => f.event === 'response')).toBe(true);
    expect(c.frames).toHaveLength(CHUNKS + 1);
    expect(await waitUntil(() => replyQueueSettled(c.session.sessionId), 15_000)).toBe(true);
  });

  it('keeps what a batching client never acked in the reply queue, and redelivers it to the resumed session', async () => {
    const first = io(gateway.url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { capabilities: [CAPABILITIES.responseBatches] } });
    sockets.push(first);
    const got: Response[] = [];
    // Reads but never acks.
    first.on('responses', (batch: Response[]) => got.push(...batch));
    first.on('response', (response: Response) => got.push(response));
    const { token, sessionId } = (await new Promise((resolve) => first.once('session', resolve))) as { token: string; sessionId: string };
    const accepted = await new Promise<any>((resolve) => first.emit('request', { id: 'unacked-1', type: 'sb.stream', payload: { n: 20 } }, resolve));
    expect(accepted).toEqual({ ok: true, id: 'unacked-1' });
    expect(await waitFor(() => got.some((r) => r.kind === 'result'))).toBe(true);
    first.close();
    const again = await client({ session: token, capabilities: [CAPABILITIES.responseBatches] });
    expect(again.session.sessionId).toBe(sessionId);
    expect(await waitFor(() => again.responses.some((r) => r.id === 'unacked-1' && r.kind === 'result'))).toBe(true);
    expect(again.responses.filter((r) => r.id === 'unacked-1').map((r) => r.seq)).toEqual(Array.from({ length: 21 }, (_, i) => i));
    expect(await waitUntil(() => replyQueueSettled(sessionId), 15_000)).toBe(true);
  });
});
