// Fault 8: one client among 50 stops reading its socket while big responses
// stream to it. The gateway must not buffer them (prefetch bounds what it
// holds; the rest waits in RabbitMQ), must cut the client off clearly, and
// the other 49… 50 clients must keep their latency.
import { io } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import type { Backend } from '@warren/client';
import { readQueueStats } from '../support/rabbit.ts';
import { waitUntil } from '../support/wait.ts';
import { rssKb, sleep, useStack } from './stack.ts';

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};

/** 50 clients in a closed loop of small requests for `ms`; returns latencies. */
const load = async (clients: Backend[], ms: number) => {
  const latencies: number[] = [];
  const until = Date.now() + ms;
  await Promise.all(
    clients.map(async (b) => {
      while (Date.now() < until) {
        const t = performance.now();
        await b.makeBackendRequest('testRequest', { count: 5, delayMs: 0 }, { timeoutMs: 20_000 });
        latencies.push(performance.now() - t);
      }
    }),
  );
  return latencies;
};

describe('backpressure', () => {
  const stack = useStack('fslow');

  it('8. a non-reading client among 50: gateway RSS stays bounded, the others keep their latency', async () => {
    // The ack timeout outlasts making the backlog and the 3 s the others are
    // timed; the heartbeat outlasts the ack timeout, which is what cuts here.
    const gateway = await stack.gateway({ ACK_TIMEOUT_MS: '20000', PING_INTERVAL_MS: '25000' });
    await Promise.all([stack.worker(undefined, { WORKER_CONCURRENCY: '60' }), stack.worker(undefined, { WORKER_CONCURRENCY: '60' })]);
    const pid = gateway.proc.child.pid!;
    const clients = Array.from({ length: 50 }, () => stack.backend(gateway.url));
    await load(clients, 1000); // warm-up
    // Peak to peak: a baseline read just after a GC would count ordinary garbage as buffering.
    let rssBefore = rssKb(pid);
    const baseSampler = setInterval(() => (rssBefore = Math.max(rssBefore, rssKb(pid))), 100);
    const baseline = await load(clients, 3000);
    clearInterval(baseSampler);
    rssBefore = Math.max(rssBefore, rssKb(pid));

    // The slow reader: asks for 8 × 750 chunks of 16 KB (≈ 96 MB), then stops reading its TCP socket.
    const slow = io(gateway.url, { transports: ['websocket'], reconnection: false });
    await new Promise<void>((r) => slow.once('connect', () => r()));
    let received = 0;
    slow.on('response', () => {
      received += 1; // never acked
    });
    for (let n = 1; n <= 8; n++) {
      const id = `big-${n}`;
      slow.emit('request', { id, type: 'testRequest', payload: { count: 750, delayMs: 0, padBytes: 16_384 }, timeoutMs: 120_000 }, () => {});
    }
    await sleep(300);
    const slowId = slow.id;
    const rawSocket = (slow.io.engine.transport as unknown as { ws: { _socket: { pause(): void } } }).ws._socket;
    rawSocket.pause();
    const pausedAt = Date.now();

    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssKb(pid))), 100);
    // The others are timed once the 96 MB have been made and wait in
    // RabbitMQ. Timed while the workers and the broker's disk make them, on
    // a 2-core host, they measured that work (p50 × 2–10 with any gateway,
    // CI 2026-11-30), not the gateway's isolation of a socket that stopped
    // reading, which is what this case is about. RSS is sampled from the
    // pause on, so a gateway that buffered would hold all of it here.
    const backlog = async () =>
      Object.entries(await readQueueStats(stack.namespace)).find(([name, q]) => name.includes('.reply.') && q.ready + q.unacked >= 6000);
    const made = await waitUntil(async () => (await backlog()) !== undefined, 40_000);
    const madeAfter = Date.now() - pausedAt;
    const during = await load(clients, 3000);
    clearInterval(sampler);
    // A paused client cannot see its own disconnect: ask the gateway's log.
    const cut = await gateway.proc.waitFor((l) => l.msg === 'socket disconnected' && l.socketId === slowId, 30_000).catch(() => null);
    const cutAt = cut ? Number(cut.time) : 0;
    slow.close();

    const p50 = [percentile(baseline, 50), percentile(during, 50)];
    const p99 = [percentile(baseline, 99), percentile(during, 99)];
    const growthMb = (rssPeak - rssBefore) / 1024;
    console.log(
      `[fault] backpressure: slow client read ${received} responses before pausing; gateway RSS ${Math.round(rssBefore / 1024)} MB → peak ${Math.round(rssPeak / 1024)} MB (+${growthMb.toFixed(1)} MB for ≈96 MB requested);` +
        ` others p50 ${p50[0]!.toFixed(1)} → ${p50[1]!.toFixed(1)} ms, p99 ${p99[0]!.toFixed(1)} → ${p99[1]!.toFixed(1)} ms;` +
        ` ${made ? `all of it waiting in RabbitMQ ${madeAfter} ms after the pause` : `no full backlog in RabbitMQ after ${madeAfter} ms`}; cut off ${cutAt ? cutAt - pausedAt : 'never'} ms after it stopped reading`,
    );
    // Unbounded buffering would hold the whole 96 MB (more, encoded); prefetch
    // holds ≈ 4 MB and the 50 clients' load and their garbage alone moved the
    // peak by 16–43 MB (CI and loaded runs, 2026-11-30).
    expect(made, 'responses to the slow client wait in RabbitMQ, not in the gateway').toBe(true);
    expect(growthMb).toBeLessThan(64);
    expect(p50[1]!).toBeLessThanOrEqual(2 * p50[0]!);
    expect(cutAt, 'the gateway disconnects a client that stopped reading').toBeGreaterThan(0);
  });
});
