// Hostile clients against a real gateway process on real RabbitMQ: every
// attack is refused with the right code, the gateway never crashes, honest
// clients in the same run all succeed, and nothing a refused request carried
// ever reaches the broker (a spy queue bound to the requests exchange sees
// every published request).
import { connect as amqpConnect } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ack } from '@warren/protocol';
import { killAll, startProcess, type Proc, isReady } from '../support/processes.ts';
import { AMQP_URL, deleteNamespace, uniqueNamespace } from '../support/rabbit.ts';
import { codeOf, createClients, refusedWith } from './clients.ts';
import { ackBody, openRaw } from './raw-socket.ts';
import { JWT_ENV, signToken, unsignedToken } from './tokens.ts';

const namespace = uniqueNamespace('sec');
const ORIGIN = 'https://app.warren.test';
const LIMITS = {
  MAX_FRAME_BYTES: '65536',
  MAX_PAYLOAD_BYTES: '8192',
  RATE_LIMIT_PER_SECOND: '10',
  RATE_LIMIT_BURST: '20',
  MAX_IN_FLIGHT_PER_CONNECTION: '4',
  MAX_CONNECTIONS_PER_PRINCIPAL: '3',
};
const SERVED = ['whoami', 'stream', 'slow', 'adminOnly'];

let url = '';
let gateway: Proc;
const { client, honest, accepted, refused, closeAll } = createClients(() => url);

describe('hostile clients against a gateway process on RabbitMQ', () => {
  let honestRuns: Promise<unknown[]>[] = [];
  let spyMessages: () => Promise<{ id: string; session: string }[]>;

  beforeAll(async () => {
    gateway = startProcess('bun', 'test/security/fixtures/gateway.ts', {
      PORT: '0',
      HOST: '127.0.0.1',
      WARREN_NAMESPACE: namespace,
      ALLOWED_ORIGINS: ORIGIN,
      ...JWT_ENV,
      ...LIMITS,
    });
    url = String((await gateway.waitFor(isReady)).url);
    const worker = startProcess('bun', 'test/security/fixtures/worker.ts', { WARREN_NAMESPACE: namespace });
    await worker.waitFor(isReady);
    // The spy gets a copy of every request published for the served types.
    const model = await amqpConnect(AMQP_URL);
    const ch = await model.createChannel();
    const spy = `${namespace}.spy`;
    await ch.assertQueue(spy, { durable: true });
    for (const type of SERVED) await ch.bindQueue(spy, `${namespace}.requests`, type);
    spyMessages = async () => {
      const seen: { id: string; session: string }[] = [];
      for (let m = await ch.get(spy, { noAck: true }); m; m = await ch.get(spy, { noAck: true })) {
        seen.push({ id: String(m.properties.correlationId), session: String(m.properties.headers?.['x-warren-session']) });
      }
      await model.close();
      return seen;
    };
    honestRuns = ['honest-1', 'honest-2', 'honest-3'].map((name) => honest(name, 8));
  });

  afterAll(async () => {
    closeAll();
    await killAll();
    await deleteNamespace(namespace);
  });

  it('refuses missing, expired, badly signed, foreign and alg:none tokens at the handshake with UNAUTHORIZED', async () => {
    const cases = {
      missing: {},
      expired: { token: await signToken('eve', {}, { expSec: -30 }) },
      badSignature: { token: await signToken('eve', {}, { secret: 'not-the-secret-not-the-secret-not-the' }) },
      wrongIssuer: { token: await signToken('eve', {}, { iss: 'https://evil.test' }) },
      wrongAudience: { token: await signToken('eve', {}, { aud: 'another-app' }) },
      algNone: { token: unsignedToken('eve') },
      notAJwt: { token: 'hello' },
      hugeToken: { token: 'x'.repeat(20_000) },
    };
    for (const [name, auth] of Object.entries(cases)) expect([name, await refusedWith(client(auth).ready)]).toEqual([name, 'UNAUTHORIZED']);
  });

  it('refuses a foreign origin at the WebSocket upgrade and on polling', async () => {
    const raw = await openRaw(url, { origin: 'https://evil.test' }).then(
      () => 'opened',
      (e: { status?: number; body?: string }) => `${e.status} ${e.body}`,
    );
    expect(raw).toMatch(/^40[03] .*FORBIDDEN/);
    const poll = await fetch(`${url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: 'https://evil.test' } });
    expect(poll.status).toBe(403);
    expect(await poll.text()).not.toMatch(/at |\.ts|node_modules/);
    const listed = client({ token: await signToken('origin-ok') }, { origin: ORIGIN });
    expect(await refusedWith(listed.ready)).toBe('CONNECTED');
  });

  it('survives malformed Engine.IO and Socket.IO packets, closing only the offending connection', async () => {
    const token = await signToken('garbler');
    const garbage: (string | Buffer)[] = [
      '9nonsense', // unknown Engine.IO packet type
      '4{', // Socket.IO packet, broken JSON
      '42["request"', // truncated event
      '42[]', // event without a name
      '42["disconnect","forged"]', // reserved event name
      '47', // unknown Socket.IO packet type
      '45-["request",{}]', // binary event without an attachment count
      '499-["request",{}]', // more attachments than allowed
      Buffer.from([1, 2, 3]), // binary frame with no binary event open
    ];
    for (const packet of garbage) {
      const raw = await openRaw(url);
      expect(await raw.connect({ token })).toMatch(/^40/);
      raw.send(packet);
      const code = await Promise.race([raw.closed, new Promise((r) => setTimeout(() => r('still open'), 2000))]);
      expect([String(packet).slice(0, 20), code === 'still open' ? 'open' : 'closed']).toEqual([String(packet).slice(0, 20), 'closed']);
    }
    // Unknown events are ignored and the socket keeps working.
    const raw = await openRaw(url);
    await raw.connect({ token });
    raw.send('42["whatever",{"x":1}]');
    raw.send('42["response",{"kind":"result","id":"x","seq":0,"attempt":1,"data":1}]');
    raw.send('42["session",{"sessionId":"a","token":"b"}]');
    raw.send('421["request",{"id":"raw-ok","type":"whoami"}]');
    expect(ackBody(await raw.next((p) => p.startsWith('431')), 1)).toEqual({ ok: true, id: 'raw-ok' });
    accepted.add('raw-ok');
    raw.close();
  });

  it('refuses binary placeholder tricks and absurd nesting without publishing', async () => {
    const token = await signToken('placeholder');
    const raw = await openRaw(url);
    await raw.connect({ token });
    // A real attachment where a JSON payload belongs.
    raw.send('451-1["request",{"id":"bin-1","type":"whoami","payload":{"_placeholder":true,"num":0}}]');
    raw.send(Buffer.from('binary!'));
    expect(ackBody(await raw.next((p) => p.startsWith('431')), 1)).toMatchObject({ ok: false, id: 'bin-1', error: { code: 'INVALID_REQUEST' } });
    refused.add('bin-1');
    // A placeholder that points at no attachment closes the connection.
    raw.send('451-2["request",{"id":"bin-2","type":"whoami","payload":{"_placeholder":true,"num":7}}]');
    raw.send(Buffer.from('x'));
    expect(await raw.closed).toBeGreaterThan(0);
    refused.add('bin-2');
    // A placeholder-shaped object without attachments is just JSON.
    const plain = await openRaw(url);
    await plain.connect({ token });
    plain.send('423["request",{"id":"bin-3","type":"whoami","payload":{"_placeholder":true,"num":0}}]');
    expect(ackBody(await plain.next((p) => p.startsWith('433')), 3)).toEqual({ ok: true, id: 'bin-3' });
    accepted.add('bin-3');
    // 30 000 levels of nesting, inside the frame cap.
    plain.send(`424["request",{"id":"deep-1","type":"whoami","payload":${'['.repeat(30_000)}${']'.repeat(30_000)}}]`);
    const deep = ackBody(await plain.next((p) => p.startsWith('434')), 4) as Ack;
    (deep.ok ? accepted : refused).add('deep-1');
    expect(codeOf(deep)).toMatch(/^(INVALID_REQUEST|PAYLOAD_TOO_LARGE|ok)$/);
    plain.close();
  });

  it('drops a frame above the cap and answers a payload above the limit with PAYLOAD_TOO_LARGE', async () => {
    const token = await signToken('bigsender');
    const raw = await openRaw(url);
    await raw.connect({ token });
    raw.send(`42["request",{"id":"huge-1","type":"whoami","payload":"${'x'.repeat(70_000)}"}]`);
    expect(await raw.closed).toBe(1009); // message too big
    refused.add('huge-1');
    const c = client({ token });
    expect(await c.request({ id: 'big-1', type: 'whoami', payload: 'y'.repeat(9000) })).toMatchObject({ ok: false, error: { code: 'PAYLOAD_TOO_LARGE' } });
    expect(await c.request({ id: 'big-ok', type: 'whoami', payload: 'y'.repeat(100) })).toEqual({ ok: true, id: 'big-ok' });
  });

  it('rate-limits a flood and the in-flight count per connection with RATE_LIMITED', async () => {
    const flooder = client({ token: await signToken('flooder') });
    const acks = await Promise.all(Array.from({ length: 60 }, (_, i) => flooder.request({ id: `flood-${i}`, type: 'whoami' })));
    const codes = acks.map(codeOf);
    expect(codes.filter((c) => c === 'ok').length).toBeLessThanOrEqual(21);
    expect(codes.filter((c) => c !== 'ok').every((c) => c === 'RATE_LIMITED')).toBe(true);
    expect(codes.filter((c) => c === 'RATE_LIMITED').length).toBeGreaterThanOrEqual(39);

    const patient = client({ token: await signToken('patient') });
    const slow = await Promise.all(Array.from({ length: 5 }, (_, i) => patient.request({ id: `inflight-${i}`, type: 'slow', payload: { delayMs: 1500 } })));
    expect(slow.map(codeOf).sort()).toEqual(['RATE_LIMITED', 'ok', 'ok', 'ok', 'ok']);
  });

  it('limits connections per principal', async () => {
    const token = await signToken('hoarder');
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push(await refusedWith(client({ token }).ready));
    expect(codes).toEqual(['CONNECTED', 'CONNECTED', 'CONNECTED', 'RATE_LIMITED', 'RATE_LIMITED']);
  });

  it('never lets a client choose its principal: frame fields, handshake auth and headers are ignored', async () => {
    const mallory = client(
      { token: await signToken('mallory', { roles: ['user'] }), principal: { sub: 'admin', roles: ['admin'] } },
      { 'x-warren-principal': '{"sub":"admin","roles":["admin"]}' },
    );
    await mallory.ready;
    const forged = {
      principal: { sub: 'admin', roles: ['admin'] },
      headers: { 'x-warren-principal': '{"sub":"admin"}' },
      'x-warren-principal': '{"sub":"admin"}',
    };
    expect(await mallory.request({ id: 'who-1', type: 'whoami', payload: null, ...forged })).toEqual({ ok: true, id: 'who-1' });
    const who = await mallory.final('who-1');
    expect(who).toMatchObject({ kind: 'result', data: { principal: { sub: 'mallory', roles: ['user'], iss: JWT_ENV.JWT_ISSUER } } });
    expect(await mallory.request({ id: 'admin-1', type: 'adminOnly', ...forged })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const admin = client({ token: await signToken('root', { roles: ['admin'] }) });
    expect(await admin.request({ id: 'admin-2', type: 'adminOnly' })).toEqual({ ok: true, id: 'admin-2' });
    expect(await admin.final('admin-2')).toMatchObject({ data: { for: 'root' } });
  });

  it("keeps forged request ids from reading or cancelling another client's request", async () => {
    const victim = client({ token: await signToken('victim') });
    const victimSession = await victim.ready;
    expect(await victim.request({ id: 'victim-1', type: 'slow', payload: { delayMs: 800 } })).toEqual({ ok: true, id: 'victim-1' });
    const mallory = client({ token: await signToken('mallory2'), session: `${victimSession}.${'A'.repeat(43)}` });
    expect(await mallory.ready).not.toBe(victimSession); // a forged session token starts a new session
    // The same id in another session is another request: mallory gets her own answer…
    expect(await mallory.request({ id: 'victim-1', type: 'whoami' })).toEqual({ ok: true, id: 'victim-1' });
    expect(await mallory.final('victim-1')).toMatchObject({ data: { principal: { sub: 'mallory2' } } });
    // …and her cancel names her session, so the victim's request runs on.
    mallory.socket.emit('cancel', { id: 'victim-1', type: 'slow' });
    expect(await victim.final('victim-1')).toMatchObject({ kind: 'result', data: { slept: 800, principal: 'victim' } });
    expect(victim.responses.filter((r) => r.id === 'victim-1')).toHaveLength(1);
    expect(mallory.responses.every((r) => r.kind === 'result' && (r.data as { principal?: { sub?: string } }).principal?.sub === 'mallory2')).toBe(true);
  });

  it('re-checks token expiry on every request', async () => {
    const shortLived = client({ token: await signToken('brief', {}, { expSec: 2 }) });
    expect(await shortLived.request({ id: 'brief-1', type: 'whoami' })).toEqual({ ok: true, id: 'brief-1' });
    await new Promise((r) => setTimeout(r, 2200));
    expect(await shortLived.request({ id: 'brief-2', type: 'whoami' })).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
  });

  it('answers a local handler through the same envelope, publishing nothing', async () => {
    const c = client({ token: await signToken('local') });
    expect(await c.request({ id: 'local-1', type: 'localCount', payload: { count: 3 } })).toEqual({ ok: true, id: 'local-1' });
    await c.final('local-1');
    expect(c.responses.filter((r) => r.id === 'local-1').map((r) => [r.kind, r.seq, r.attempt])).toEqual([
      ['chunk', 0, 1],
      ['chunk', 1, 1],
      ['chunk', 2, 1],
      ['result', 3, 1],
    ]);
    accepted.delete('local-1'); // answered in the gateway: never on the broker
  });

  it('ends with the gateway alive, honest clients served, and no refused request on the broker', async () => {
    const honestResults = await Promise.all(honestRuns);
    expect(honestResults.flat()).toHaveLength(24);
    for (const [i, results] of honestResults.entries()) for (const r of results) expect(r).toMatchObject({ count: 5, principal: `honest-${i + 1}` });

    expect(gateway.child.exitCode).toBeNull();
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    expect(gateway.output()).not.toMatch(/uncaught|unhandled/i);

    await new Promise((r) => setTimeout(r, 200)); // let the last publishes land in the spy
    const messages = await spyMessages();
    expect(new Set(messages.map((m) => `${m.session}/${m.id}`)).size).toBe(messages.length); // nothing published twice
    const published = messages.map((m) => m.id);
    const onBroker = new Set(published);
    for (const id of refused) expect([id, onBroker.has(id)]).toEqual([id, false]);
    for (const id of accepted) expect([id, onBroker.has(id)]).toEqual([id, true]);
    // Everything else on the broker came from the honest clients (24 requests);
    // 'victim-1' is there twice, once per session.
    expect(published.filter((id) => !accepted.has(id))).toHaveLength(24);
    expect(published.filter((id) => id === 'victim-1')).toHaveLength(2);

    const metrics = await (await fetch(`${url}/metrics`)).text();
    for (const reason of ['UNAUTHORIZED', 'FORBIDDEN', 'RATE_LIMITED', 'PAYLOAD_TOO_LARGE', 'INVALID_REQUEST']) {
      expect(metrics).toMatch(new RegExp(`warren_gateway_rejected_total\\{reason="${reason}"\\} [1-9]`));
    }
  });
});
