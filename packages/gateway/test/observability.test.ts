import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { authorize, isValidTraceparent, newTraceparent, renderConfigReference, traceparentFor } from '@warren/gateway';
import { capturingLog, connect, setup } from './support.ts';

/** The value of one sample in Prometheus text, e.g. metric('x_total{type="a"}'). */
const sample = (text: string, name: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
};

describe('metrics', () => {
  it('counts requests by type and outcome, chunks, latency, rejections, sockets and in-flight after a known load', async () => {
    const { gateway } = await setup({ plugins: [authorize({ rules: { echo: { allowAnonymous: true }, hang: { allowAnonymous: true } } })] });
    const client = connect(gateway);
    for (let i = 0; i < 5; i++) await client.request({ id: `e${i}`, type: 'echo', payload: { chunks: 2 } });
    await Promise.all(Array.from({ length: 5 }, (_, i) => client.final(`e${i}`)));
    await client.request({ id: 'nh', type: 'nobodyServesThis' }); // no rule, anonymous: UNAUTHORIZED
    await client.request({ id: 'bad id!', type: 'echo' }); // INVALID_REQUEST
    await client.request({ id: 'h', type: 'hang', timeoutMs: 400 });
    const during = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(sample(during, 'warren_gateway_requests_in_flight')).toBe(1);
    expect(sample(during, 'warren_gateway_connected_sockets')).toBe(1);
    await client.final('h');

    const res = await fetch(`${gateway.url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    expect(sample(text, 'warren_gateway_requests_total{type="echo",outcome="ok"}')).toBe(5);
    expect(sample(text, 'warren_gateway_requests_total{type="hang",outcome="TIMEOUT"}')).toBe(1);
    expect(sample(text, 'warren_gateway_requests_accepted_total{type="echo"}')).toBe(5);
    expect(sample(text, 'warren_gateway_chunks_total{type="echo"}')).toBe(10);
    expect(sample(text, 'warren_gateway_request_duration_seconds_count{type="echo",outcome="ok"}')).toBe(5);
    expect(sample(text, 'warren_gateway_rejected_total{reason="UNAUTHORIZED"}')).toBe(1);
    expect(sample(text, 'warren_gateway_rejected_total{reason="INVALID_REQUEST"}')).toBe(1);
    // A client-chosen type nobody accepted does not get a label of its own.
    expect(text).not.toContain('nobodyServesThis');
    expect(sample(text, 'warren_gateway_requests_total{type="other",outcome="UNAUTHORIZED"}')).toBe(1);
    expect(sample(text, 'warren_gateway_requests_in_flight')).toBe(0);
    expect(sample(text, 'warren_gateway_broker_connected')).toBe(1);
    expect(sample(text, 'warren_gateway_broker_reconnects_total')).toBe(0);
  });

  it('counts refused connections by reason', async () => {
    const { gateway } = await setup({ jwtSecret: 'x'.repeat(32), jwtIssuer: 'i', jwtAudience: 'a' });
    await connect(gateway).ready.catch(() => {});
    await connect(gateway, { auth: { token: 'bad' } }).ready.catch(() => {});
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(sample(text, 'warren_gateway_rejected_total{reason="UNAUTHORIZED"}')).toBe(2);
  });
});

describe('traceparent', () => {
  it('forwards a valid client traceparent unchanged, and logs it on every request line', async () => {
    const { log, lines } = capturingLog();
    const { gateway, seen } = await setup({ log });
    const client = connect(gateway);
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await client.request({ id: 't1', type: 'echo', traceparent });
    await client.final('t1');
    expect(seen[0]!.traceparent).toBe(traceparent);
    const requestLines = lines.filter((l) => l.requestId === 't1');
    expect(requestLines.length).toBeGreaterThan(0);
    for (const line of requestLines) expect(line.traceparent).toBe(traceparent);
  });

  it('makes one when the client sent none or an invalid one', async () => {
    const { gateway, seen } = await setup();
    const client = connect(gateway);
    await client.request({ id: 'n1', type: 'echo' });
    await client.request({ id: 'n2', type: 'echo', traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01' });
    await Promise.all([client.final('n1'), client.final('n2')]);
    for (const s of seen) expect(isValidTraceparent(s.traceparent)).toBe(true);
    expect(seen[0]!.traceparent).not.toBe(seen[1]!.traceparent);
  });

  it('makes a fresh trace id and parent id for every traceparent, across refills of its random pool', () => {
    // 1,000 traceparents use 24,000 random bytes: several refills of the 4 KiB pool.
    const made = Array.from({ length: 1000 }, () => newTraceparent());
    for (const t of made) expect(isValidTraceparent(t)).toBe(true);
    const ids = made.flatMap((t) => t.split('-').slice(1, 3));
    expect(new Set(ids).size).toBe(2000);
  });

  it('validates W3C traceparent shapes', () => {
    expect(isValidTraceparent(newTraceparent())).toBe(true);
    expect(isValidTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toBe(true);
    expect(isValidTraceparent('ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toBe(false);
    expect(isValidTraceparent('00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01')).toBe(false);
    expect(isValidTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01')).toBe(false);
    expect(isValidTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra')).toBe(false);
    expect(isValidTraceparent(42)).toBe(false);
  });

  it('forwards only version-00 traceparents as sent; a later version is re-sent as 00 without its tail (issue 12, finding 7)', () => {
    const ids = '4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7';
    expect(isValidTraceparent(`01-${ids}-01`)).toBe(false);
    expect(traceparentFor(`01-${ids}-01-"<script>alert(1)</script>\u0000'`)).toBe(`00-${ids}-01`);
    expect(traceparentFor(`cc-${ids}-00`)).toBe(`00-${ids}-00`);
    expect(traceparentFor(`00-${ids}-01`)).toBe(`00-${ids}-01`);
    // Not parseable as a later version either: a new trace.
    for (const bad of [`01-${ids}-01x`, `ff-${ids}-01`, `01-${ids}`, `01-${'0'.repeat(32)}-00f067aa0ba902b7-01`]) {
      const made = traceparentFor(bad);
      expect(isValidTraceparent(made)).toBe(true);
      expect(made).not.toContain('4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7');
    }
  });
});

describe('readiness and the configuration reference', () => {
  it('reports broker and topology in /readyz', async () => {
    const { gateway } = await setup();
    const res = await fetch(`${gateway.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', broker: 'connected', topology: true, replyConsumersDown: 0 });
  });

  it('docs/deploy.md carries the current configuration reference (refresh: bun packages/gateway/scripts/config-reference.ts --write)', () => {
    const doc = readFileSync(new URL('../../../docs/deploy.md', import.meta.url), 'utf8');
    expect(doc).toContain(renderConfigReference());
  });
});
