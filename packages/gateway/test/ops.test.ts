// The operations side of the gateway on the memory transport: a caller's own
// hop timeline (and nobody else's), the console's access rules, in-flight
// calls and failures, and a dead letter inspected, replayed and discarded.
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { capturingLog, connect, setup, sleep, until } from './support.ts';

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256';
const JWT = { jwtSecret: SECRET, jwtIssuer: 'https://issuer.test', jwtAudience: 'warren-test' };
const sign = (claims: Record<string, unknown>) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(String(claims.sub ?? 'ada'))
    .setIssuer(JWT.jwtIssuer)
    .setAudience(JWT.jwtAudience)
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET));

const get = async (url: string, headers: Record<string, string> = {}) => {
  const res = await fetch(url, { headers });
  return { status: res.status, body: (await res.json()) as any };
};
const post = async (url: string, headers: Record<string, string> = {}) => {
  const res = await fetch(url, { method: 'POST', headers });
  return { status: res.status, body: (await res.json()) as any };
};

describe('hop timeline of a call (GET /calls/:id)', () => {
  it('answers the calling session with its hops in order, and nobody else', async () => {
    const { gateway } = await setup();
    const client = connect(gateway);
    const { token } = await client.ready;
    expect((await client.request({ id: 'c1', type: 'echo', payload: { chunks: 2 } })).ok).toBe(true);
    await client.final('c1');
    const mine = await get(`${gateway.url}/calls/c1`, { 'x-warren-session': token });
    expect(mine.status).toBe(200);
    expect(mine.body.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(mine.body.hops.map((h: { hop: string }) => h.hop)).toEqual(['accepted', 'published', 'picked-up', 'first-chunk', 'result']);
    const picked = mine.body.hops[2];
    expect(picked).toMatchObject({ attempt: 1, worker: { language: 'typescript', service: 'w' } });
    const other = connect(gateway);
    const { token: theirs } = await other.ready;
    expect((await get(`${gateway.url}/calls/c1`, { 'x-warren-session': theirs })).status).toBe(404);
    expect((await get(`${gateway.url}/calls/c1`)).status).toBe(404);
  });
});

describe('operations console access', () => {
  it('is off without authentication unless opsAllowAnonymous is set', async () => {
    const { gateway } = await setup();
    const res = await get(`${gateway.url}/ops/api/overview`);
    expect(res.status).toBe(403);
    expect(res.body.error.message).toMatch(/operations console is off/);
  });

  it('with JWT auth: 401 without a token, 403 without the role, 200 with it', async () => {
    const { gateway } = await setup({ ...JWT, allowAnonymous: true });
    expect((await get(`${gateway.url}/ops/api/overview`)).status).toBe(401);
    expect((await get(`${gateway.url}/ops/api/overview`, { authorization: `Bearer ${await sign({ sub: 'bob', roles: ['user'] })}` })).status).toBe(403);
    const ok = await get(`${gateway.url}/ops/api/overview`, { authorization: `Bearer ${await sign({ sub: 'olga', roles: ['warren-ops'] })}` });
    expect(ok.status).toBe(200);
    expect(ok.body.principal).toBe('sub:olga');
  });
});

describe('operations console data', () => {
  it('lists in-flight calls with age and attempt, and failures with their trace ids', async () => {
    const { gateway } = await setup({ opsAllowAnonymous: true });
    const client = connect(gateway);
    await client.ready;
    await client.request({ id: 'slow', type: 'hang', payload: null, timeoutMs: 30_000 });
    await client.request({ id: 'nobody', type: 'unserved', payload: null });
    const { body } = await get(`${gateway.url}/ops/api/overview`);
    expect(body.inFlight).toEqual([expect.objectContaining({ id: 'slow', type: 'hang', attempt: expect.any(Number), ageMs: expect.any(Number) })]);
    expect(body.types.find((t: { type: string }) => t.type === 'hang')).toMatchObject({ inFlight: 1, instances: 1 });
    expect(body.failures).toEqual([expect.objectContaining({ id: 'nobody', outcome: 'NO_HANDLER', traceId: expect.stringMatching(/^[0-9a-f]{32}$/) })]);
    expect(body.metrics.accepted).toBeGreaterThanOrEqual(1);
    client.socket.emit('cancel', { id: 'slow', type: 'hang' });
    await client.final('slow');
  });

  it('keeps a dead letter: inspect, replay (logged with the principal), discard', async () => {
    const { log, lines } = capturingLog();
    const { gateway } = await setup({ opsAllowAnonymous: true, log }, { work: async (payload: { n: number }) => ({ doubled: payload.n * 2 }) });
    // A request whose deadline passed in the queue is dead-lettered (the memory broker does what
    // RabbitMQ does; the poison case on RabbitMQ is in test/e2e/ops.e2e.test.ts).
    await gateway.transport.publishRequest({ id: 'poison-1', type: 'work', payload: { n: 21 }, session: 'nobody-session', deadline: Date.now() - 1 });
    let overview: any;
    await sleep(200);
    overview = (await get(`${gateway.url}/ops/api/overview`)).body;
    expect(overview.deadLetters).toEqual([expect.objectContaining({ id: 'poison-1', type: 'work', reason: 'expired', replayable: true })]);
    const key = overview.deadLetters[0].key;
    const inspected = await get(`${gateway.url}/ops/api/dead-letters/${key}`);
    expect(inspected.body.request.payload).toEqual({ n: 21 });
    expect((await post(`${gateway.url}/ops/api/dead-letters/${key}/replay`)).status).toBe(400); // no x-warren-ops header
    const replay = await post(`${gateway.url}/ops/api/dead-letters/${key}/replay`, { 'x-warren-ops': '1' });
    expect(replay.status).toBe(202);
    await until(() => lines.some((l) => l.msg === 'dead letter replay finished'), 3000);
    overview = (await get(`${gateway.url}/ops/api/overview`)).body;
    expect(overview.deadLetters[0].replays[0]).toMatchObject({ outcome: 'ok', result: { doubled: 42 }, by: 'anonymous (opsAllowAnonymous)' });
    expect(lines.find((l) => l.msg === 'ops: dead letter replayed')).toMatchObject({ principal: 'anonymous (opsAllowAnonymous)', requestId: 'poison-1' });
    expect((await post(`${gateway.url}/ops/api/dead-letters/${key}/discard`, { 'x-warren-ops': '1' })).status).toBe(200);
    expect((await get(`${gateway.url}/ops/api/overview`)).body.deadLetters).toEqual([]);
  });
});
