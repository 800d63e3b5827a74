// The gateway's authentication reads Socket.IO `auth.token`: the client sends
// its credential there on every (re)connect, next to the session token.
import { afterEach, describe, expect, it } from 'vitest';
import { createBackend, createMemorySessionStore, type Backend } from '../src/index.ts';
import { eventually, startFakeGateway } from './fake-gateway.ts';

const open: Backend[] = [];
afterEach(() => {
  for (const backend of open.splice(0)) backend.close();
});

const backendWith = (url: string, token: Parameters<typeof createBackend>[0]['token']) => {
  const backend = createBackend({ url, token, sessionStore: createMemorySessionStore() });
  open.push(backend);
  return backend;
};

describe('token option', () => {
  it('sends a fixed token in the handshake auth', async () => {
    const gateway = await startFakeGateway(() => {});
    backendWith(gateway.url, 'jwt-abc');
    await eventually(() =>
      expect(gateway.auths).toEqual([{ token: 'jwt-abc', capabilities: ['response-batches', 'fast-answers', 'cumulative-acks', 'data-bytes'] }]),
    );
  });

  it('asks an async getter again on every reconnect, so refreshed tokens are sent', async () => {
    const gateway = await startFakeGateway(() => {});
    let n = 0;
    const backend = backendWith(gateway.url, async () => `jwt-${++n}`);
    await eventually(() => expect(backend.status()).toBe('connected'));
    gateway.socket().disconnect(true);
    await eventually(() => expect(gateway.auths).toHaveLength(2));
    expect((gateway.auths as { token?: string }[]).map((a) => a.token)).toEqual(['jwt-1', 'jwt-2']);
  });

  it('connects without a token when the getter fails', async () => {
    const gateway = await startFakeGateway(() => {});
    backendWith(gateway.url, () => Promise.reject(new Error('refresh failed')));
    await eventually(() => expect(gateway.auths).toEqual([{ capabilities: ['response-batches', 'fast-answers', 'cumulative-acks', 'data-bytes'] }]));
  });

  it('refuses a token option of the wrong kind, naming it', () => {
    expect(() => createBackend({ url: 'http://x', token: 42 as never })).toThrow(/options\.token/);
  });
});
