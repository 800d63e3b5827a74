// A page on a refused origin learns it is refused — the client goes offline
// with FORBIDDEN instead of reconnecting for ever. The WebSocket upgrade is
// refused with HTTP 400 (Engine.IO), which a browser cannot read; the client
// asks over HTTP polling, whose 403 the gateway lets the refused origin read.
import { io } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createBackend, probeRefusal, type RefusalProbe } from '@warren/client';
import { setup, until } from './support.ts';

const cleanup: (() => Promise<void>)[] = [];

const EVIL = 'https://evil.example.com';

// Node's fetch and WebSocket send no Origin by themselves: add the page's, as a browser would.
const fromOrigin =
  (origin: string): RefusalProbe =>
  async (url) => {
    const original = globalThis.fetch;
    const withOrigin: typeof fetch = (input, init) => original(input, { ...init, headers: { ...(init?.headers as Record<string, string>), origin } });
    globalThis.fetch = withOrigin;
    try {
      return await probeRefusal(url);
    } finally {
      globalThis.fetch = original;
    }
  };

afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

describe('a refused origin', () => {
  it('gets a 403 its page can read on polling (and 400 at the WebSocket upgrade)', async () => {
    const { gateway } = await setup({ allowedOrigins: ['https://app.example.com'] });
    const poll = await fetch(`${gateway.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: EVIL } });
    expect(poll.status).toBe(403);
    expect(poll.headers.get('access-control-allow-origin')).toBe(EVIL);
    expect((await poll.json()).message).toMatch(/^FORBIDDEN: /);
    const allowed = await fetch(`${gateway.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: 'https://app.example.com' } });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBeNull(); // CORS_ORIGINS decides that
  });

  it('ends the client in offline + FORBIDDEN, and calls fail with FORBIDDEN', async () => {
    const { gateway } = await setup({ allowedOrigins: ['https://app.example.com'] });
    const backend = createBackend({
      url: gateway.url,
      connect: (url, options) => io(url, { ...options, extraHeaders: { origin: EVIL } }),
      refusalProbe: fromOrigin(EVIL),
    });
    cleanup.push(async () => backend.close());
    await until(() => backend.status() === 'offline', 5000);
    expect(backend.getSnapshot().refused).toMatchObject({ code: 'FORBIDDEN' });
    await expect(backend.makeBackendRequest('echo', {})).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('leaves a client that is merely unable to reach the gateway reconnecting', async () => {
    const probed: string[] = [];
    const backend = createBackend({
      url: 'http://127.0.0.1:9',
      refusalProbe: async (url) => {
        probed.push(url);
        return probeRefusal(url);
      },
    });
    cleanup.push(async () => backend.close());
    await until(() => probed.length > 0, 5000);
    await new Promise((r) => setTimeout(r, 300));
    expect(backend.status()).not.toBe('offline');
  });
});
