import { describe, expect, it } from 'vitest';
import { connectionLimit, inFlightLimit, rateLimit } from '@warren/gateway';
import { connect, setup, until } from './support.ts';

const codeOf = (ack: { ok: boolean; error?: { code: string } }) => (ack.ok ? 'ok' : ack.error!.code);

describe('limits', () => {
  it('answers an oversize payload below the frame cap with PAYLOAD_TOO_LARGE and keeps the socket', async () => {
    const { gateway, broker } = await setup({ maxPayloadBytes: 1000, maxFrameBytes: 10_000 });
    const client = connect(gateway);
    const before = broker.published();
    const ack = await client.request({ id: 'big', type: 'echo', payload: 'x'.repeat(2000) });
    expect(ack).toMatchObject({ ok: false, id: 'big', error: { code: 'PAYLOAD_TOO_LARGE', details: { maxPayloadBytes: 1000 } } });
    expect(broker.published()).toBe(before);
    expect(await client.request({ id: 'small', type: 'echo', payload: 'x' })).toEqual({ ok: true, id: 'small' });
  });

  it('drops the connection for a frame above maxFrameBytes, and the gateway keeps serving', async () => {
    const { gateway } = await setup({ maxPayloadBytes: 1000, maxFrameBytes: 10_000 });
    const client = connect(gateway);
    await client.ready;
    const gone = new Promise((r) => client.socket.once('disconnect', r));
    client.socket.emit('request', { id: 'huge', type: 'echo', payload: 'x'.repeat(20_000) }, () => {});
    expect(await gone).toBe('transport close');
    const other = connect(gateway);
    expect(await other.request({ id: 'ok', type: 'echo' })).toEqual({ ok: true, id: 'ok' });
  });

  it('refuses binary attachments as INVALID_REQUEST', async () => {
    const { gateway } = await setup();
    const client = connect(gateway);
    expect(await client.request({ id: 'bin', type: 'echo', payload: { blob: Buffer.from('hello') } })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_REQUEST' },
    });
    expect(await client.request({ id: 'after', type: 'echo' })).toEqual({ ok: true, id: 'after' });
  });

  it('rate-limits a flood per caller with RATE_LIMITED; other callers are unaffected', async () => {
    const { gateway, broker } = await setup({ rateLimitPerSecond: 5, rateLimitBurst: 10 });
    const flooder = connect(gateway);
    const calm = connect(gateway);
    const before = broker.published();
    const acks = await Promise.all(Array.from({ length: 40 }, (_, i) => flooder.request({ id: `f${i}`, type: 'echo' })));
    const codes = acks.map(codeOf);
    expect(codes.filter((c) => c === 'ok').length).toBeGreaterThanOrEqual(10);
    expect(codes.filter((c) => c === 'ok').length).toBeLessThanOrEqual(11);
    expect(codes.filter((c) => c === 'RATE_LIMITED').length).toBe(40 - codes.filter((c) => c === 'ok').length);
    expect(acks.find((a) => !a.ok)).toMatchObject({ error: { details: { retryAfterMs: expect.any(Number) } } });
    expect(await calm.request({ id: 'c', type: 'echo' })).toEqual({ ok: true, id: 'c' });
    expect(broker.published() - before).toBe(codes.filter((c) => c === 'ok').length + 1);
  });

  it('limits requests in flight per connection and frees the slot when the answer arrives', async () => {
    const { gateway } = await setup({ maxInFlightPerConnection: 2 });
    const client = connect(gateway);
    expect(codeOf(await client.request({ id: 'h1', type: 'hang', timeoutMs: 1500 }))).toBe('ok');
    expect(codeOf(await client.request({ id: 'h2', type: 'hang', timeoutMs: 1500 }))).toBe('ok');
    expect(await client.request({ id: 'h3', type: 'hang', timeoutMs: 1500 })).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    client.socket.emit('cancel', { id: 'h1', type: 'hang', timeoutMs: 1500 });
    await client.final('h1');
    expect(codeOf(await client.request({ id: 'h4', type: 'hang', timeoutMs: 1500 }))).toBe('ok');
  });

  it('limits connections per principal and per IP, and frees them on disconnect', async () => {
    const verifyToken = async (token: string) => ({ principal: { sub: token } });
    const { gateway } = await setup({ verifyToken, maxConnectionsPerPrincipal: 2 });
    const a1 = connect(gateway, { auth: { token: 'ann' } });
    const a2 = connect(gateway, { auth: { token: 'ann' } });
    await Promise.all([a1.ready, a2.ready]);
    const a3 = connect(gateway, { auth: { token: 'ann' } });
    await expect(a3.ready).rejects.toMatchObject({ data: { code: 'RATE_LIMITED' } });
    await connect(gateway, { auth: { token: 'ben' } }).ready;
    a1.socket.close();
    await until(() => gateway.io.sockets.sockets.size === 2);
    await connect(gateway, { auth: { token: 'ann' } }).ready;
  });

  it('limits connections per IP', async () => {
    const { gateway } = await setup({ maxConnectionsPerIp: 1 });
    await connect(gateway).ready;
    await expect(connect(gateway).ready).rejects.toMatchObject({ data: { code: 'RATE_LIMITED' } });
  });

  it('validates limit options at construction, naming field and range', () => {
    expect(() => rateLimit({ requestsPerSecond: 0 })).toThrow(/requestsPerSecond/);
    expect(() => inFlightLimit({ maxPerConnection: 0 })).toThrow(/maxPerConnection[\s\S]*>=1/);
    expect(() => connectionLimit({})).toThrow(/maxPerPrincipal/);
  });
});
