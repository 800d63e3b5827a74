// Retained calls on the memory transport (the RabbitMQ cases are in
// test/integration/retained-calls.int.test.ts): the call id rule, keys that
// run once and attach, EXPIRED, a principal's keys across its sessions, the
// cancel of an attached call, the bound on what an attachment holds, and
// the queue-position estimate.
import { createHash } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createGateway } from '@warren/gateway';
import { createMemoryBroker, memoryTransport } from '@warren/transport';
import { registerHandlers } from '@warren/worker';
import { disposable } from '../../../test/support/disposable.ts';
import { createQueuePositions } from '../src/queue-positions.ts';
import { callIdOf, callScopeOf } from '../src/retained-calls.ts';
import { connect, quiet, setup, sleep, until } from './support.ts';

describe('the call id', () => {
  it('is the first 32 characters of base64url(SHA-256(ns NUL scope NUL key)), scoped to principal or session', () => {
    const expected = createHash('sha256').update(Buffer.from('warren\u0000sub:ada\u0000chat-1', 'utf8')).digest('base64url').slice(0, 32);
    expect(callIdOf('warren', callScopeOf({ sub: 'ada' }, 'session-a'), 'chat-1')).toBe(expected);
    expect(expected).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(callScopeOf({ sub: 'ada' }, 'session-a')).toBe(callScopeOf({ sub: 'ada' }, 'session-b'));
    expect(callScopeOf(undefined, 'session-a')).toBe('session:session-a');
    expect(callIdOf('warren', 'session:a', 'k')).not.toBe(callIdOf('warren', 'session:b', 'k'));
    expect(callIdOf('warren', 'session:a', 'k')).not.toBe(callIdOf('other', 'session:a', 'k'));
  });
});

describe('retained calls through a gateway (memory transport)', () => {
  it('runs a key once; the second request attaches and gets every response under its own id', async () => {
    let runs = 0;
    const { gateway } = await setup(
      {},
      {
        stream: async (n: number, ctx) => {
          runs += 1;
          for (let i = 0; i < n; i++) await ctx.sendChunk(i);
          return 'done';
        },
      },
    );
    const client = connect(gateway);
    const { token } = await client.ready;
    expect(await client.request({ id: 'a', type: 'stream', payload: 3, key: 'k' })).toEqual({ ok: true, id: 'a' });
    await client.final('a');
    expect(await client.request({ id: 'b', type: 'stream', payload: 3, key: 'k' })).toEqual({ ok: true, id: 'b', attached: true });
    await client.final('b');
    expect(runs).toBe(1);
    const of = (id: string) => client.responses.filter((r) => r.id === id).map((r) => [r.kind, r.seq]);
    expect(of('b')).toEqual(of('a'));
    expect(of('b')).toEqual([
      ['chunk', 0],
      ['chunk', 1],
      ['chunk', 2],
      ['result', 3],
    ]);
    // The caller's timeline, under either id it used for the call.
    for (const id of ['a', 'b']) {
      const timeline = await fetch(`${gateway.url}/calls/${id}`, { headers: { 'x-warren-session': token } });
      expect(timeline.status).toBe(200);
      const body = (await timeline.json()) as { id: string; outcome: string; hops: { hop: string }[] };
      expect(body).toMatchObject({ id, type: 'stream', outcome: 'ok' });
      expect(body.hops.map((h) => h.hop)).toEqual(['accepted', 'published', 'picked-up', 'first-chunk', 'result']);
    }
    expect((await fetch(`${gateway.url}/calls/never`, { headers: { 'x-warren-session': token } })).status).toBe(404);
  });

  it('refuses attach without a key, and answers an attach to no retained call with EXPIRED', async () => {
    const { gateway } = await setup();
    const client = connect(gateway);
    await client.ready;
    expect(await client.request({ id: 'x', type: 'echo', payload: 1, attach: true })).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    expect(await client.request({ id: 'y', type: 'echo', payload: 1, key: 'nope', attach: true })).toMatchObject({
      ok: false,
      id: 'y',
      error: { code: 'EXPIRED', message: expect.stringContaining('no longer retained') },
    });
  });

  it('frees a key whose request could not be published: the same key is refused the same way again, not attached', async () => {
    const { gateway, broker } = await setup();
    const client = connect(gateway);
    await client.ready;
    const frame = { type: 'nobody', payload: null, key: 'nobody-key' };
    expect(await client.request({ id: 'n1', ...frame })).toMatchObject({ ok: false, error: { code: 'NO_HANDLER' } });
    expect(broker.state.calls.size).toBe(0);
    expect(await client.request({ id: 'n2', ...frame })).toMatchObject({ ok: false, error: { code: 'NO_HANDLER' } });
    expect(await client.request({ id: 'n3', ...frame, attach: true })).toMatchObject({ ok: false, error: { code: 'EXPIRED' } });
  });

  it("shares a principal's keys across its sessions, and nobody else's", async () => {
    const secret = 'a-test-secret-that-is-long-enough-for-hs256';
    const jwt = { jwtSecret: secret, jwtIssuer: 'https://issuer.test', jwtAudience: 'warren-test' };
    const sign = (sub: string) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(sub)
        .setIssuer(jwt.jwtIssuer)
        .setAudience(jwt.jwtAudience)
        .setExpirationTime(Math.floor(Date.now() / 1000) + 600)
        .sign(new TextEncoder().encode(secret));
    let runs = 0;
    const { gateway } = await setup(jwt, {
      once: async () => {
        runs += 1;
        return runs;
      },
    });
    const ada = connect(gateway, { auth: { token: await sign('ada') } });
    const adaElsewhere = connect(gateway, { auth: { token: await sign('ada') } });
    const bob = connect(gateway, { auth: { token: await sign('bob') } });
    const sessions = await Promise.all([ada.ready, adaElsewhere.ready, bob.ready]);
    expect(sessions[0].sessionId).not.toBe(sessions[1].sessionId);
    expect(await ada.request({ id: 'r', type: 'once', payload: null, key: 'report' })).toEqual({ ok: true, id: 'r' });
    await ada.final('r');
    expect(await adaElsewhere.request({ id: 'r', type: 'once', payload: null, key: 'report', attach: true })).toEqual({ ok: true, id: 'r', attached: true });
    expect(await adaElsewhere.final('r')).toMatchObject({ kind: 'result', data: 1 });
    expect(await bob.request({ id: 'r', type: 'once', payload: null, key: 'report', attach: true })).toMatchObject({ ok: false, error: { code: 'EXPIRED' } });
    expect(runs).toBe(1);
  });

  it('attaches a keyed request re-sent under the same id after a resume on the same gateway, without running it again', async () => {
    let runs = 0;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const { gateway } = await setup(
      {},
      {
        slow: async (_p, ctx) => {
          runs += 1;
          await ctx.sendChunk('started');
          await released;
          return 'finished';
        },
      },
    );
    const first = connect(gateway);
    const { token } = await first.ready;
    const frame = { id: 'job', type: 'slow', payload: null, key: 'job-key' };
    expect(await first.request(frame)).toEqual({ ok: true, id: 'job' });
    await until(() => first.responses.length === 1);
    first.socket.close();
    const resumed = connect(gateway, { auth: { session: token } });
    await resumed.ready;
    expect(await resumed.request(frame)).toEqual({ ok: true, id: 'job', attached: true });
    await until(() => resumed.responses.length === 1);
    // The same frame again on the connection that is attached: the first ack, nothing replayed.
    expect(await resumed.request(frame)).toEqual({ ok: true, id: 'job' });
    release();
    expect(await resumed.final('job')).toMatchObject({ kind: 'result', data: 'finished' });
    expect(resumed.responses.map((r) => [r.kind, r.seq])).toEqual([
      ['chunk', 0],
      ['result', 1],
    ]);
    expect(runs).toBe(1);
  });

  it('forwards the cancel of an attached call to the worker under the call', async () => {
    let aborted = false;
    const { gateway } = await setup(
      {},
      {
        hang: (_p, ctx) =>
          new Promise((_, reject) =>
            ctx.signal.addEventListener('abort', () => {
              aborted = true;
              reject(ctx.signal.reason);
            }),
          ),
      },
    );
    const first = connect(gateway);
    const { token } = await first.ready;
    expect(await first.request({ id: 'h1', type: 'hang', payload: null, key: 'long' })).toEqual({ ok: true, id: 'h1' });
    first.socket.close();
    const again = connect(gateway, { auth: { session: token } });
    await again.ready;
    expect(await again.request({ id: 'h2', type: 'hang', payload: null, key: 'long', attach: true })).toEqual({ ok: true, id: 'h2', attached: true });
    again.socket.emit('cancel', { id: 'h2', type: 'hang' });
    expect(await again.final('h2')).toMatchObject({ kind: 'error', id: 'h2', error: { code: 'CANCELLED' } });
    expect(aborted).toBe(true);
  });

  it('detaches with PAYLOAD_TOO_LARGE when a call holds more than a retained call may', async () => {
    const mib = 'x'.repeat(1024 * 1024);
    const { gateway } = await setup(
      {},
      {
        big: async (_p, ctx) => {
          for (let i = 0; i < 17; i++) await ctx.sendChunk(mib);
          return 'never relayed';
        },
      },
    );
    const client = connect(gateway);
    await client.ready;
    expect(await client.request({ id: 'b', type: 'big', payload: null, key: 'big' })).toMatchObject({ ok: true });
    const final = await client.final('b', 10_000);
    expect(final).toMatchObject({ kind: 'error', error: { code: 'PAYLOAD_TOO_LARGE', message: expect.stringContaining('retained call') } });
    const chunks = client.responses.filter((r) => r.id === 'b' && r.kind === 'chunk');
    expect(chunks.length).toBe(15);
    expect(final.seq).toBe(15);
  });
});

describe('queued frames through a gateway (memory transport)', () => {
  it('tell the last of 6 requests behind a worker of concurrency 1 its place, down to 0, before its answer', async () => {
    const broker = createMemoryBroker();
    await using gateway = disposable(
      await createGateway({ port: 0, host: '127.0.0.1', log: quiet, queuePositionIntervalMs: 100, transport: memoryTransport(broker) }),
    );
    await using _worker = disposable(
      await registerHandlers(
        { service: 'slow', transport: memoryTransport(broker), log: quiet, concurrency: 1 },
        { slow: () => sleep(120).then(() => 'done') },
      ),
    );
    const client = connect(gateway);
    await client.ready;
    const events: string[] = [];
    const positions: number[] = [];
    client.socket.on('queued', (frame: { id: string; position: number }) => {
      events.push(`queued:${frame.id}`);
      if (frame.id === 'r5') positions.push(frame.position);
    });
    client.socket.on('response', (r: { id: string }) => events.push(`response:${r.id}`));
    const acks = await Promise.all(Array.from({ length: 6 }, (_, i) => client.request({ id: `r${i}`, type: 'slow', payload: null })));
    expect(acks.every((a) => a.ok)).toBe(true);
    await client.final('r5', 10_000);
    expect(positions.length).toBeGreaterThan(1);
    for (let i = 1; i < positions.length; i++) expect(positions[i]).toBeLessThan(positions[i - 1]!);
    expect(positions.at(-1)).toBe(0);
    expect(events.lastIndexOf('queued:r5')).toBeLessThan(events.indexOf('response:r5'));
  });
});

describe('queue positions', () => {
  const fake = (timing: { intervalMs?: number; firstAfterMs?: number } = {}) => {
    let ready = 0;
    const depth = { set: (n: number) => (ready = n) };
    const observed: Array<[string, number]> = [];
    const waits: Array<[string, number]> = [];
    let nowMs = 0;
    const positions = createQueuePositions({
      transport: { queueDepth: async () => ({ ready, consumers: 1 }) },
      intervalMs: timing.intervalMs ?? 20,
      ...(timing.firstAfterMs === undefined ? {} : { firstAfterMs: timing.firstAfterMs }),
      metrics: { queueDepth: (type, n) => observed.push([type, n]), queueWait: (type, s) => waits.push([type, s]) },
      log: quiet,
      now: () => nowMs,
      catalogueTypes: () => ['announced'],
      catalogueIntervalMs: 30,
    });
    return { positions, depth, observed, waits, advance: (ms: number) => (nowMs += ms) };
  };

  it('starts once queued, never rises, and does not count requests accepted after it', async () => {
    const { positions, depth, observed, advance } = fake();
    depth.set(5);
    const a: number[] = [];
    const b: number[] = [];
    const wa = positions.watch('t', (p) => a.push(p), true);
    advance(50);
    await sleep(50);
    expect(a).toEqual([]); // not confirmed in its queue yet: no position
    wa.queued();
    advance(20); // it has waited the first 20 ms (the interval, shorter than 100)
    await until(() => a.length > 0);
    expect(a).toEqual([4]);
    depth.set(6); // b joins behind a
    const wb = positions.watch('t', (p) => b.push(p), true);
    wb.queued();
    advance(20);
    await until(() => b.length > 0);
    expect(b).toEqual([5]);
    depth.set(9); // others queued behind: never rises
    await sleep(60);
    expect(a).toEqual([4]);
    expect(b).toEqual([5]);
    depth.set(2);
    await until(() => a.at(-1) === 0 && b.at(-1) === 1);
    expect(observed.some(([type, n]) => type === 't' && n === 2)).toBe(true);
    wa.stop();
    wb.stop();
    positions.close();
  });

  it('reads a first position only for a request still waiting firstAfterMs after it was queued', async () => {
    const { positions, depth, observed, advance } = fake({ intervalMs: 10_000, firstAfterMs: 60 });
    depth.set(3);
    // Answered at once, as most requests are: its queue is never polled for it.
    const quick = positions.watch('t', () => {}, true);
    quick.queued();
    quick.answered(1);
    const a: number[] = [];
    const b: number[] = [];
    const wa = positions.watch('t', (p) => a.push(p), true);
    wa.queued();
    await sleep(20);
    advance(20);
    const wb = positions.watch('t', (p) => b.push(p), true);
    wb.queued();
    await sleep(20);
    const reads = () => observed.filter(([type]) => type === 't');
    expect(reads()).toEqual([]); // 40 ms in: nothing read yet
    advance(40); // a has waited 60 ms, b 40
    await until(() => a.length > 0);
    // The type's one timer, long before the 10 s interval: a is told its
    // place; b, younger than 60 ms, is not, and the timer is armed for it.
    expect(reads()).toEqual([['t', 3]]);
    expect(a).toEqual([1]);
    expect(b).toEqual([]);
    advance(20);
    await until(() => b.length > 0);
    expect(reads()).toEqual([
      ['t', 3],
      ['t', 3],
    ]);
    expect(a).toEqual([1]);
    expect(b).toEqual([2]);
    wa.stop();
    wb.stop();
    positions.close();
  });

  it('measures the wait until the first response of attempt 1 only, stops polling a type once nobody waits, and reads the registry types slowly', async () => {
    const { positions, depth, observed, waits, advance } = fake();
    depth.set(1);
    const w1 = positions.watch('t', () => {}, true);
    const w2 = positions.watch('t', () => {}, false);
    const w3 = positions.watch('t', () => {}, true);
    advance(1500);
    w1.answered(1);
    w2.answered(1);
    w3.answered(2);
    expect(waits).toEqual([['t', 1.5]]);
    await sleep(80);
    // Nobody waits on `t` any more; only the registry's types are still read, at their own pace.
    const polls = observed.filter(([type]) => type === 't').length;
    await sleep(80);
    expect(observed.filter(([type]) => type === 't').length).toBe(polls);
    expect(observed.some(([type]) => type === 'announced')).toBe(true);
    positions.close();
  });
});
