// Fault 9: the gateway process freezes (SIGSTOP for 35 s, as under a stuck
// VM, a debugger or memory pressure) with streams in flight, then thaws
// (SIGCONT). The client must notice within 10 s (Socket.IO heartbeat,
// pingIntervalMs + pingTimeoutMs) and show `reconnecting`; after the thaw the
// same gateway resumes the session and every stream completes, each chunk
// shown exactly once. 35 s because RabbitMQ drops the frozen gateway's AMQP
// connection only after about 25–30 s of silence (10 s heartbeat; measured
// here): the thaw is then a broker reconnect too, and the requests the caller
// started during the freeze reach a gateway that is reconnecting to a healthy
// broker. They must be held briefly, not refused with BROKER_UNAVAILABLE.
import { afterAll, describe, expect, it } from 'vitest';
import type { ConnectionStatus } from '@warren/client';
import { createChecker } from './checker.ts';
import { sleep, useStack } from './stack.ts';

const FREEZE_MS = 35_000;
const NOTICE_WITHIN_MS = 10_000;

describe('gateway freeze', () => {
  const stack = useStack('ffreeze');
  let frozenPid: number | undefined;
  // Whatever happens, never leave a stopped process behind. Registered after
  // useStack, so it runs before the stack's teardown kills the processes.
  afterAll(() => {
    if (frozenPid !== undefined) {
      try {
        process.kill(frozenPid, 'SIGCONT');
      } catch {
        // already gone
      }
    }
  });

  it('9. SIGSTOP 35 s: the client shows reconnecting within 10 s; after SIGCONT every stream completes, chunks exactly once', async () => {
    const gateway = await stack.gateway();
    await stack.worker(undefined, { WORKER_CONCURRENCY: '20' });
    const backend = stack.backend(gateway.url);
    const statuses: { status: ConnectionStatus; at: number }[] = [];
    backend.subscribe(() => statuses.push({ status: backend.status(), at: Date.now() }));
    const until = Date.now() + 10_000;
    while (backend.status() !== 'connected' && Date.now() < until) await sleep(50);
    expect(backend.status()).toBe('connected');

    const checker = createChecker();
    // 40 chunks 500 ms apart: each stream outlives the freeze by a few seconds.
    const inFlight = Array.from({ length: 4 }, (_, i) =>
      checker.track(backend, 'testRequest', { count: 40, delayMs: 500, tag: `f${i}` }, { timeoutMs: 120_000 }),
    );
    // Accepted and streaming before the freeze.
    const started = Date.now() + 10_000;
    while (inFlight.some((t) => t.shown.length === 0) && Date.now() < started) await sleep(50);
    expect(inFlight.every((t) => t.shown.length > 0)).toBe(true);

    const pid = gateway.proc.child.pid!;
    let stoppedAt = 0;
    try {
      frozenPid = pid;
      process.kill(pid, 'SIGSTOP');
      stoppedAt = Date.now();
      // Started while the gateway is frozen: the client holds them until it is back.
      for (let i = 0; i < 2; i++) checker.track(backend, 'testRequest', { count: 10, delayMs: 100, tag: `d${i}` }, { timeoutMs: 120_000 });
      await sleep(FREEZE_MS);
    } finally {
      process.kill(pid, 'SIGCONT');
      frozenPid = undefined;
    }
    const resumedAt = Date.now();

    const noticed = statuses.find((s) => s.at >= stoppedAt && s.status !== 'connected');
    expect(noticed, `statuses: ${JSON.stringify(statuses)}`).toBeDefined();
    const noticedMs = noticed!.at - stoppedAt;
    console.log(`[fault] gateway freeze: client showed ${noticed!.status} ${noticedMs} ms after SIGSTOP`);
    expect(noticed!.status).toBe('reconnecting');
    expect(noticedMs).toBeLessThanOrEqual(NOTICE_WITHIN_MS);

    await checker.settle(60_000);
    const c = checker.print(`gateway frozen ${FREEZE_MS / 1000} s`);
    const back = statuses.find((s) => s.at >= resumedAt && s.status === 'connected');
    if (back) console.log(`[fault] gateway freeze: connected again ${back.at - resumedAt} ms after SIGCONT`);
    // Whether the broker dropped the frozen gateway's connection (heartbeats) shows here.
    const broker = gateway.proc
      .output()
      .split('\n')
      .filter((l) => l.includes('broker status changed'))
      .map((l) => (JSON.parse(l) as { broker: string }).broker);
    console.log(`[fault] gateway freeze: broker status changes after the thaw: ${broker.join(' → ') || 'none'}`);
    expect(broker, 'the broker did not drop the frozen gateway: the freeze was too short to test a reconnect').toContain('reconnecting');
    for (const t of checker.tracked) if (t.error) console.log(`[fault] ${t.tag}: ${t.error.code} ${t.error.message}`);
    expect(c).toMatchObject({ total: 6, ok: 6, lost: 0, duplicated: 0, 'wrong-recipient': 0, rejected: 0, hung: 0 });
    // The thawed gateway resumed the session: no client-side "session lost".
    expect(gateway.proc.output()).toContain('"resumed":true');
  });
});
