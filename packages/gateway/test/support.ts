// Shared by the gateway's unit tests: a gateway on the memory transport with
// a worker beside it, socket.io clients that clean themselves up, and waits.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { io, type Socket } from 'socket.io-client';
import { afterEach } from 'vitest';
import type { Ack, Response } from '@warren/protocol';
import { createGateway, type CreateGatewayOptions, type Gateway } from '@warren/gateway';
import { createMemoryBroker, memoryTransport } from '@warren/transport';
import { registerHandlers, type Handlers } from '@warren/worker';

export const quiet = pino({ level: 'silent' });
const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** A pino logger whose lines land in `lines`. */
export const capturingLog = () => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { log: pino({ level: 'debug' }, sink), lines };
};

export const setup = async (options: Omit<CreateGatewayOptions, 'transport'> = {}, handlers?: Handlers) => {
  const broker = createMemoryBroker();
  const gateway = await createGateway({ port: 0, host: '127.0.0.1', log: quiet, ...options, transport: memoryTransport(broker) });
  cleanup.push(() => gateway.close());
  const seen: { payload: unknown; principal: unknown; traceparent: unknown }[] = [];
  const worker = await registerHandlers(
    { service: 'w', transport: memoryTransport(broker), log: quiet },
    handlers ?? {
      echo: async (payload: { chunks?: number } | null, ctx) => {
        seen.push({ payload, principal: ctx.principal, traceparent: ctx.traceparent });
        for (let i = 0; i < (payload?.chunks ?? 0); i++) await ctx.sendChunk(i);
        return { echoed: payload, principal: ctx.principal ?? null, traceparent: ctx.traceparent ?? null };
      },
      hang: (_p, ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))),
    },
  );
  cleanup.push(() => worker.close());
  return { broker, gateway, seen };
};

export interface Client {
  socket: Socket;
  responses: Response[];
  /** Resolves with the session, or rejects with the connect_error (its `data` holds { code, message }). */
  ready: Promise<{ sessionId: string; token: string }>;
  request(frame: unknown): Promise<Ack>;
  /** The final response of `id`. */
  final(id: string, ms?: number): Promise<Response>;
}

export const connect = (gateway: Gateway, options: { auth?: Record<string, unknown>; extraHeaders?: Record<string, string> } = {}): Client => {
  const socket = io(gateway.url, {
    transports: ['websocket'],
    auth: options.auth ?? {},
    reconnection: false,
    forceNew: true,
    ...(options.extraHeaders ? { extraHeaders: options.extraHeaders } : {}),
  });
  cleanup.push(() => socket.close());
  const responses: Response[] = [];
  socket.on('response', (r: Response, ack: () => void) => {
    responses.push(r);
    ack();
  });
  const ready = new Promise<{ sessionId: string; token: string }>((resolve, reject) => {
    socket.once('session', resolve);
    socket.once('connect_error', reject);
  });
  ready.catch(() => {});
  return {
    socket,
    responses,
    ready,
    request: (frame) => new Promise<Ack>((resolve) => socket.emit('request', frame, resolve)),
    async final(id, ms = 3000) {
      await until(() => responses.some((r) => r.id === id && r.kind !== 'chunk'), ms);
      return responses.find((r) => r.id === id && r.kind !== 'chunk')!;
    },
  };
};

export const until = async (check: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
