// Issue 12, finding 8: what a gateway with authentication exposes, and what
// one connection can make it do — /registry and /metrics guarded, the
// `registry` event rate-limited and refused after expiry, a default per-IP
// connection limit, and a broker failure reported as BROKER_UNAVAILABLE.
import { SignJWT } from 'jose';
import type { Socket } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { createGateway, parseGatewayOptions } from '@warren/gateway';
import type { RegistryAck } from '@warren/protocol';
import { createMemoryBroker, memoryTransport } from '@warren/transport';
import { disposable } from '../../../test/support/disposable.ts';
import { connect, quiet, setup, sleep } from './support.ts';

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256';
const JWT = { jwtSecret: SECRET, jwtIssuer: 'https://issuer.test', jwtAudience: 'warren-test', jwtClockToleranceSec: 0 };
const sign = (claims: Record<string, unknown> = {}, expSec = 600) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('ada')
    .setIssuer(JWT.jwtIssuer)
    .setAudience(JWT.jwtAudience)
    .setExpirationTime(Math.floor(Date.now() / 1000) + expSec)
    .sign(new TextEncoder().encode(SECRET));
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
const registryEvent = (socket: Socket) => new Promise<RegistryAck>((resolve) => socket.emit('registry', {}, resolve));

describe('exposure with authentication on', () => {
  it('serves GET /registry only to an authenticated caller, and only with a registryRoles role when set', async () => {
    const { gateway } = await setup(JWT);
    expect((await fetch(`${gateway.url}/registry`)).status).toBe(401);
    expect((await fetch(`${gateway.url}/registry`, bearer('not-a-token'))).status).toBe(401);
    const ok = await fetch(`${gateway.url}/registry`, bearer(await sign()));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toHaveProperty('instances');

    const { gateway: strict } = await setup({ ...JWT, registryRoles: ['ops'] });
    expect((await fetch(`${strict.url}/registry`, bearer(await sign({ roles: ['user'] })))).status).toBe(403);
    expect((await fetch(`${strict.url}/registry`, bearer(await sign({ roles: ['ops'] })))).status).toBe(200);
    const user = connect(strict, { auth: { token: await sign({ roles: ['user'] }) } });
    await user.ready;
    expect(await registryEvent(user.socket)).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });

    // Anonymous callers allowed: the catalogue is theirs too.
    const { gateway: open } = await setup({ ...JWT, allowAnonymous: true });
    expect((await fetch(`${open.url}/registry`)).status).toBe(200);
  });

  it('guards /metrics with metricsToken, and moves it to metricsPort', async () => {
    const { gateway } = await setup({ metricsToken: 'scraper-secret-0123456789' });
    expect((await fetch(`${gateway.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${gateway.url}/metrics`, bearer('scraper-secret-0123456789'))).status).toBe(200);

    const { gateway: split } = await setup({ metricsPort: 0 });
    expect((await fetch(`${split.url}/metrics`)).status).toBe(404);
    expect(split.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const scraped = await fetch(split.metricsUrl!);
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('warren_gateway');
  });

  it('rate-limits the registry event per connection and refuses it once the token expired', async () => {
    const { gateway } = await setup(JWT);
    const client = connect(gateway, { auth: { token: await sign({}, 2) } });
    await client.ready;
    const answers = await Promise.all(Array.from({ length: 30 }, () => registryEvent(client.socket)));
    expect(answers.filter((a) => a.ok).length).toBeLessThanOrEqual(11);
    expect(answers.filter((a) => !a.ok).every((a) => !a.ok && a.error.code === 'RATE_LIMITED')).toBe(true);
    await sleep(2100);
    expect(await registryEvent(client.socket)).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
  });
});

describe('defaults and broker failures', () => {
  it('limits connections per client IP to 64 by default', async () => {
    expect(parseGatewayOptions({}).maxConnectionsPerIp).toBe(64);
    const { gateway } = await setup();
    const clients = Array.from({ length: 64 }, () => connect(gateway));
    await Promise.all(clients.map((c) => c.ready));
    const refused = await connect(gateway).ready.then(
      () => 'CONNECTED',
      (e: { data?: { code?: string } }) => e.data?.code,
    );
    expect(refused).toBe('RATE_LIMITED');
  });

  it('answers BROKER_UNAVAILABLE, not INTERNAL, when the broker channel ends under a publish', async () => {
    const broker = createMemoryBroker();
    const transport = memoryTransport(broker);
    await using gateway = disposable(
      await createGateway({
        port: 0,
        host: '127.0.0.1',
        log: quiet,
        transport: { ...transport, publishRequest: async () => Promise.reject(new Error('Channel ended, no reply will be forthcoming')) },
      }),
    );
    const client = connect(gateway);
    await client.ready;
    const ack = await client.request({ id: 'b1', type: 'echo' });
    expect(ack).toMatchObject({ ok: false, id: 'b1', error: { code: 'BROKER_UNAVAILABLE' } });
    expect(JSON.stringify(ack)).not.toMatch(/Channel ended/);
  });
});
