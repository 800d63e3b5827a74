import { createHmac, generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { authorize, jwtVerifier, refuse } from '@warren/gateway';
import { connect, setup, sleep } from './support.ts';

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256';
const JWT = { jwtSecret: SECRET, jwtIssuer: 'https://issuer.test', jwtAudience: 'warren-test', jwtClockToleranceSec: 0 };
const sign = (claims: Record<string, unknown> = {}, opts: { exp?: number | string; iss?: string; aud?: string; secret?: string } = {}) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(String(claims.sub ?? 'ada'))
    .setIssuer(opts.iss ?? JWT.jwtIssuer)
    .setAudience(opts.aud ?? JWT.jwtAudience)
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? '1h')
    .sign(new TextEncoder().encode(opts.secret ?? SECRET));
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const codeOf = async (ready: Promise<unknown>) =>
  (
    (await ready.then(
      () => null,
      (e: { data?: { code?: string } }) => e,
    )) as { data?: { code?: string } } | null
  )?.data?.code ?? 'CONNECTED';

describe('JWT authentication at the handshake', () => {
  it('verifies a token and hands its principal to the worker', async () => {
    const { gateway } = await setup(JWT);
    const client = connect(gateway, { auth: { token: await sign({ roles: ['admin'] }) } });
    await client.ready;
    await client.request({ id: 'r1', type: 'echo' });
    expect(await client.final('r1')).toMatchObject({ data: { principal: { sub: 'ada', iss: JWT.jwtIssuer, roles: ['admin'] } } });
  });

  it('applies the clock tolerance to exp and nbf, at the handshake and at every request (issue 12, finding 7)', async () => {
    const { gateway } = await setup({ ...JWT, jwtClockToleranceSec: 5 });
    const nowSec = Math.floor(Date.now() / 1000);
    // 2 s past exp, 2 s before nbf: both inside the 5 s leeway.
    const late = connect(gateway, { auth: { token: await sign({ sub: 'late' }, { exp: nowSec - 2 }) } });
    await late.ready;
    await late.request({ id: 'late-1', type: 'echo' });
    expect(await late.final('late-1')).toMatchObject({ kind: 'result' });
    const early = connect(gateway, { auth: { token: await sign({ sub: 'early', nbf: nowSec + 2 }) } });
    await early.ready;
    await early.request({ id: 'early-1', type: 'echo' });
    expect(await early.final('early-1')).toMatchObject({ kind: 'result' });
    // Outside it: refused.
    expect(await codeOf(connect(gateway, { auth: { token: await sign({}, { exp: nowSec - 7 }) } }).ready)).toBe('UNAUTHORIZED');
  });

  it('accepts the token from an Authorization: Bearer header too', async () => {
    const { gateway } = await setup(JWT);
    const client = connect(gateway, { extraHeaders: { authorization: `Bearer ${await sign()}` } });
    await expect(client.ready).resolves.toMatchObject({ sessionId: expect.any(String) });
  });

  it('refuses missing, expired, badly signed, wrong-issuer, wrong-audience and alg:none tokens with UNAUTHORIZED', async () => {
    const { gateway } = await setup(JWT);
    const good = await sign();
    const [header, body] = good.split('.');
    const cases: Record<string, Record<string, unknown>> = {
      missing: {},
      expired: { token: await sign({}, { exp: Math.floor(Date.now() / 1000) - 10 }) },
      badSignature: { token: await sign({}, { secret: 'another-secret-another-secret-another' }) },
      tamperedBody: { token: `${header}.${b64({ sub: 'root', iss: JWT.jwtIssuer, aud: JWT.jwtAudience, exp: 9e9 })}.${good.split('.')[2]}` },
      wrongIssuer: { token: await sign({}, { iss: 'https://evil.test' }) },
      wrongAudience: { token: await sign({}, { aud: 'someone-else' }) },
      algNone: { token: `${b64({ alg: 'none', typ: 'JWT' })}.${body}.` },
      garbage: { token: 'not.a.jwt' },
      number: { token: 42 },
    };
    for (const [name, auth] of Object.entries(cases)) {
      expect([name, await codeOf(connect(gateway, { auth }).ready)]).toEqual([name, 'UNAUTHORIZED']);
    }
  });

  it('refuses algorithm confusion: an HS256 token keyed with the RSA public key', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const { gateway } = await setup({ jwtPublicKey: pem, jwtIssuer: JWT.jwtIssuer, jwtAudience: JWT.jwtAudience });
    const claims = { sub: 'mallory', iss: JWT.jwtIssuer, aud: JWT.jwtAudience, exp: Math.floor(Date.now() / 1000) + 600 };
    const unsigned = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
    const forged = `${unsigned}.${createHmac('sha256', pem).update(unsigned).digest('base64url')}`;
    expect(await codeOf(connect(gateway, { auth: { token: forged } }).ready)).toBe('UNAUTHORIZED');
    const rs256 = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256' }).sign(privateKey);
    expect(await codeOf(connect(gateway, { auth: { token: rs256 } }).ready)).toBe('CONNECTED');
  });

  it('re-checks expiry on every request, not only at connect', async () => {
    const { gateway, broker } = await setup(JWT);
    const client = connect(gateway, { auth: { token: await sign({}, { exp: Math.floor(Date.now() / 1000) + 2 }) } });
    await client.ready;
    expect(await client.request({ id: 'before', type: 'echo' })).toEqual({ ok: true, id: 'before' });
    await sleep(2100);
    const published = broker.published();
    expect(await client.request({ id: 'after', type: 'echo' })).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    expect(broker.published()).toBe(published);
  });

  it('allows anonymous clients beside token holders only when configured', async () => {
    const { gateway } = await setup({ ...JWT, allowAnonymous: true });
    const anon = connect(gateway);
    await anon.ready;
    await anon.request({ id: 'a', type: 'echo' });
    expect(await anon.final('a')).toMatchObject({ data: { principal: null } });
    expect(await codeOf(connect(gateway, { auth: { token: 'bad' } }).ready)).toBe('UNAUTHORIZED');
  });

  it('fails the boot on half-configured JWT options, naming the field', async () => {
    await expect(setup({ jwtSecret: SECRET })).rejects.toThrow(/jwtIssuer/);
    await expect(setup({ ...JWT, jwtAlgorithms: ['RS256'] })).rejects.toThrow(/jwtAlgorithms/);
    await expect(setup({ ...JWT, jwtSecret: 'short' })).rejects.toThrow(/jwtSecret/);
    await expect(setup({ allowAnonymous: false })).rejects.toThrow(/allowAnonymous/);
    expect(() => jwtVerifier({ secret: SECRET, algorithms: ['HS256'], issuer: 'i', audience: 'a', clockToleranceSec: 9999 })).toThrow(/clockToleranceSec/);
  });
});

describe('custom verifier', () => {
  it('uses an async function instead of JWT options', async () => {
    const verifyToken = async (token: string) => {
      if (token !== 'letmein') throw refuse('UNAUTHORIZED', 'Unknown API key.');
      return { principal: { sub: 'svc-1', roles: ['service'] } };
    };
    const { gateway } = await setup({ verifyToken });
    const ok = connect(gateway, { auth: { token: 'letmein' } });
    await ok.request({ id: 'r', type: 'echo' });
    expect(await ok.final('r')).toMatchObject({ data: { principal: { sub: 'svc-1' } } });
    const refused = await connect(gateway, { auth: { token: 'nope' } }).ready.catch((e: { data?: unknown }) => e.data);
    expect(refused).toEqual({ code: 'UNAUTHORIZED', message: 'Unknown API key.' });
  });

  it('never lets a client set its own principal (frame field, header-like field or handshake auth)', async () => {
    const verifyToken = async () => ({ principal: { sub: 'real' } });
    const { gateway, seen } = await setup({ verifyToken });
    const client = connect(gateway, { auth: { token: 't', principal: { sub: 'admin' } }, extraHeaders: { 'x-warren-principal': '{"sub":"admin"}' } });
    await client.request({ id: 'r', type: 'echo', payload: null, principal: { sub: 'admin' }, headers: { 'x-warren-principal': '{"sub":"admin"}' } });
    await client.final('r');
    expect(seen[0]!.principal).toEqual({ sub: 'real' });
  });
});

describe('authorization per request type', () => {
  const rules = authorize({
    rules: {
      adminReport: { roles: ['admin'] },
      tenantData: { claims: { tenant: ['acme', 'globex'] } },
      echo: { allowAnonymous: true },
      hang: (principal) => principal?.sub === 'ada',
    },
  });

  it('allows by role, claim or function; FORBIDDEN otherwise; UNAUTHORIZED for anonymous; nothing published', async () => {
    const handlers = { adminReport: () => 'report', tenantData: () => 'data', echo: () => 'hi', hang: () => 'ok', other: () => 'x' };
    const { gateway, broker } = await setup({ ...JWT, allowAnonymous: true, plugins: [rules] }, handlers);
    const ada = connect(gateway, { auth: { token: await sign({ sub: 'ada', roles: ['admin'], tenant: 'acme' }) } });
    const bob = connect(gateway, { auth: { token: await sign({ sub: 'bob', roles: ['user'], tenant: 'initech' }) } });
    const anon = connect(gateway);
    await Promise.all([ada.ready, bob.ready, anon.ready]);
    const before = broker.published();
    const code = async (c: typeof ada, type: string) => {
      const ack = await c.request({ id: `${type}-${Math.random().toString(36).slice(2)}`, type });
      return ack.ok ? 'ok' : ack.error.code;
    };
    expect(await code(ada, 'adminReport')).toBe('ok');
    expect(await code(ada, 'tenantData')).toBe('ok');
    expect(await code(ada, 'hang')).toBe('ok');
    expect(await code(bob, 'adminReport')).toBe('FORBIDDEN');
    expect(await code(bob, 'tenantData')).toBe('FORBIDDEN');
    expect(await code(bob, 'hang')).toBe('FORBIDDEN');
    expect(await code(bob, 'other')).toBe('FORBIDDEN'); // no rule: denied by default
    expect(await code(anon, 'adminReport')).toBe('UNAUTHORIZED');
    expect(await code(anon, 'echo')).toBe('ok');
    expect(broker.published() - before).toBe(4);
  });

  it('rejects bad rules at construction', () => {
    expect(() => authorize({ rules: { x: { roles: [] } } })).toThrow(/authorize[\s\S]*roles/);
    expect(() => authorize({ rules: { x: { role: 'admin' } as never } })).toThrow(/authorize/);
  });
});

describe('origin allow-list', () => {
  it('refuses a foreign Origin at the handshake with 403 and admits listed and same origins', async () => {
    const { gateway } = await setup({ allowedOrigins: ['https://app.example.com'] });
    const poll = (origin?: string) => fetch(`${gateway.url}/socket.io/?EIO=4&transport=polling`, { headers: origin ? { origin } : {} });
    const evil = await poll('https://evil.example.com');
    expect(evil.status).toBe(403);
    expect(await evil.text()).toContain('FORBIDDEN');
    expect((await poll('https://app.example.com')).status).toBe(200);
    expect((await poll(gateway.url)).status).toBe(200);
    expect((await poll()).status).toBe(200);
    const ws = connect(gateway, { extraHeaders: { origin: 'https://evil.example.com' } });
    await expect(ws.ready).rejects.toBeTruthy();
  });
});
