// Heartbeat settings: a gateway that stops answering (frozen process, dead
// network path) must be noticed by clients within pingIntervalMs +
// pingTimeoutMs, not Socket.IO's default 45 s.
import { connect as tcpConnect, createServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createBackend, createMemorySessionStore, type Backend } from '@warren/client';
import { gatewayOptionsFromEnv, parseGatewayOptions } from '@warren/gateway';
import { setup } from './support.ts';

// A loopback path to the gateway that can go silent: once cut, bytes from the
// gateway are swallowed while both TCP connections stay open, as when the
// gateway process is stopped or a middlebox drops the flow.
const startSilenceableProxy = async (port: number) => {
  let silent = false;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = tcpConnect({ host: '127.0.0.1', port });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.once('close', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (data) => upstream.write(data));
    upstream.on('data', (data) => {
      if (!silent) client.write(data);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    silence: () => {
      silent = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
};

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const waitForStatus = (backend: Backend, status: string, ms: number) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`status stayed ${backend.status()}, not ${status}, for ${ms} ms`)), ms);
    const check = () => {
      if (backend.status() !== status) return;
      clearTimeout(timer);
      unsubscribe();
      resolve();
    };
    const unsubscribe = backend.subscribe(check);
    check();
  });

describe('gateway heartbeat', () => {
  it('defaults to a 5 s ping and a 4 s pong timeout, settable from the environment', () => {
    const defaults = parseGatewayOptions({});
    expect([defaults.pingIntervalMs, defaults.pingTimeoutMs]).toEqual([5000, 4000]);
    expect(defaults.pingIntervalMs + defaults.pingTimeoutMs).toBeLessThan(10_000);
    expect(gatewayOptionsFromEnv({ PING_INTERVAL_MS: '2000', PING_TIMEOUT_MS: '1500' })).toEqual({ pingIntervalMs: 2000, pingTimeoutMs: 1500 });
    expect(() => parseGatewayOptions({ pingIntervalMs: 10 })).toThrow(/pingIntervalMs/);
  });

  it('tells clients its ping settings in the Engine.IO handshake', async () => {
    const { gateway } = await setup();
    const open = await (await fetch(`${gateway.url}/socket.io/?EIO=4&transport=polling`)).text();
    // Engine.IO open packet: "0" followed by JSON.
    const handshake = JSON.parse(open.slice(1)) as { pingInterval: number; pingTimeout: number };
    expect(handshake).toMatchObject({ pingInterval: 5000, pingTimeout: 4000 });
  });

  it('a client notices a silent gateway within pingIntervalMs + pingTimeoutMs and shows reconnecting', async () => {
    const { gateway } = await setup({ pingIntervalMs: 1000, pingTimeoutMs: 1000 });
    const proxy = await startSilenceableProxy(gateway.port);
    closers.push(proxy.close);
    const backend = createBackend({ url: proxy.url, sessionStore: createMemorySessionStore() });
    closers.push(() => backend.close());
    await waitForStatus(backend, 'connected', 5000);
    const cutAt = Date.now();
    proxy.silence();
    await waitForStatus(backend, 'reconnecting', 4000);
    const noticedMs = Date.now() - cutAt;
    // 2 s at most after the last ping heard; a little slack for timers.
    expect(noticedMs).toBeLessThanOrEqual(2500);
  });
});
