// What the conformance cases stand on: the conformance worker of either
// language, a raw Socket.IO client (to see envelopes exactly as they travel)
// and polling with a deadline.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import type { Ack, Response } from '@warren/protocol';
import { root, startCommand, startProcess, type Proc, isReady } from '../support/processes.ts';

export const LANGUAGES = ['node', 'python'] as const;
export type Language = (typeof LANGUAGES)[number];

/** Every type the conformance service serves, in both languages. */
export const TYPES = ['conf.attempt', 'conf.busy', 'conf.cancelled', 'conf.echo', 'conf.fail', 'conf.sleep', 'conf.stream', 'conf.typed'];

/** The conformance worker of `language` on `namespace`, once it serves, and the `ready` event it logged. */
export const startConformanceWorker = async (language: Language, namespace: string): Promise<{ proc: Proc; ready: Record<string, unknown> }> => {
  const proc =
    language === 'node'
      ? startProcess('bun', 'test/conformance/workers/node.ts', { WARREN_NAMESPACE: namespace })
      : startCommand('conformance python worker', '/usr/bin/python3', [join(root, 'test/conformance/workers/python.py')], {
          WARREN_NAMESPACE: namespace,
          PYTHONUNBUFFERED: '1',
        });
  return { proc, ready: await proc.waitFor(isReady) };
};

export const uniqueId = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

export const waitUntil = async <T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> => {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

export interface RawClient {
  /** Sends one `request` frame; resolves with the ack and, unless refused, every response up to the final one. */
  call(frame: Record<string, unknown>, timeoutMs?: number): Promise<{ ack: Ack; responses: Response[] }>;
  close(): void;
}

/** A bare Socket.IO client: frames and envelopes exactly as the gateway relays them. */
export const rawClient = async (url: string): Promise<RawClient> => {
  const socket: Socket = io(url, { transports: ['websocket'], reconnection: false });
  const seen: Response[] = [];
  socket.on('response', (response: Response, ack: () => void) => {
    seen.push(response);
    ack();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('session', () => resolve());
    socket.once('connect_error', reject);
  });
  return {
    async call(frame, timeoutMs = 10_000) {
      const ack = await new Promise<Ack>((resolve) => socket.emit('request', frame, resolve));
      if (!ack.ok) return { ack, responses: [] };
      await waitUntil(
        async () => (seen.some((r) => r.id === frame.id && r.kind !== 'chunk') ? true : undefined),
        timeoutMs,
        `final answer to ${String(frame.id)}`,
      );
      return { ack, responses: seen.filter((r) => r.id === frame.id) };
    },
    close: () => void socket.close(),
  };
};
