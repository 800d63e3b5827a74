// Socket.IO clients for the hostile suite that record every ack, so the suite
// can check afterwards that what was refused never reached the broker and
// what was accepted did.
import { io, type Socket } from 'socket.io-client';
import { expect } from 'vitest';
import type { Ack, Response } from '@warren/protocol';
import { createBackend, createMemorySessionStore, type AnyBackend } from '@warren/client';
import { signToken } from './tokens.ts';

export const codeOf = (ack: Ack) => (ack.ok ? 'ok' : ack.error.code);

/** 'CONNECTED', or the code of the connect_error. */
export const refusedWith = async (ready: Promise<unknown>) =>
  ready.then(
    () => 'CONNECTED',
    (e: Error & { data?: { code?: string } }) => e.data?.code ?? `no code: ${e.message}`,
  );

export const createClients = (gatewayUrl: () => string) => {
  const accepted = new Set<string>();
  const refused = new Set<string>();
  const sockets: Socket[] = [];
  const backends: AnyBackend[] = [];

  const client = (auth: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const socket = io(gatewayUrl(), { transports: ['websocket'], auth, reconnection: false, forceNew: true, extraHeaders: headers });
    sockets.push(socket);
    const responses: Response[] = [];
    socket.on('response', (r: Response, ack: () => void) => {
      responses.push(r);
      ack();
    });
    const ready = new Promise<string>((resolve, reject) => {
      socket.once('session', (s: { sessionId: string }) => resolve(s.sessionId));
      socket.once('connect_error', (e: Error & { data?: { code?: string } }) => reject(e));
    });
    ready.catch(() => {});
    const request = async (frame: Record<string, unknown>) => {
      const ack = await new Promise<Ack>((resolve) => socket.emit('request', frame, resolve));
      (ack.ok ? accepted : refused).add(String(frame.id));
      return ack;
    };
    const final = async (id: string, ms = 10_000) => {
      const end = Date.now() + ms;
      while (!responses.some((r) => r.id === id && r.kind !== 'chunk')) {
        if (Date.now() > end) throw new Error(`no final response for ${id}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return responses.find((r) => r.id === id && r.kind !== 'chunk')!;
    };
    return { socket, responses, ready, request, final };
  };

  /** An honest caller on @warren/client: `rounds` streams of 5 chunks, one after another. */
  const honest = async (name: string, rounds: number) => {
    const token = await signToken(name);
    const backend = createBackend({
      url: gatewayUrl(),
      sessionStore: createMemorySessionStore(),
      // The client passes its own auth (the session token); the JWT rides along.
      connect: (u, options) => io(u, { ...options, auth: (cb) => options.auth((data) => cb({ ...data, token })) }),
    }) as AnyBackend;
    backends.push(backend);
    const results: unknown[] = [];
    for (let i = 0; i < rounds; i++) {
      const chunks: unknown[] = [];
      const result = await backend.makeBackendRequest('stream', { count: 5, delayMs: 5 }, { onChunk: (c: unknown) => chunks.push(c), timeoutMs: 20_000 });
      expect(chunks).toHaveLength(5);
      results.push(result);
    }
    return results;
  };

  const closeAll = () => {
    for (const s of sockets) s.close();
    for (const b of backends) b.close();
  };
  return { client, honest, accepted, refused, closeAll };
};
