// Fault 5: kill -9 of one of two gateways with 50 streams on it. The clients
// reconnect (through a loopback "load balancer") to the other gateway, resume
// their sessions and get the rest of every stream.
import { afterAll, describe, expect, it } from 'vitest';
import { createChecker } from './checker.ts';
import { startProxy } from './proxy.ts';
import { sleep, useStack } from './stack.ts';

describe('gateway failover', () => {
  const closers: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const close of closers) await close();
  });
  const stack = useStack('ffail');

  it('5. all 50 streams complete through the other gateway, chunk sequences intact', async () => {
    const a = await stack.gateway();
    const b = await stack.gateway();
    await Promise.all([stack.worker(undefined, { WORKER_CONCURRENCY: '60' }), stack.worker(undefined, { WORKER_CONCURRENCY: '60' })]);
    let alive = [a.port, b.port];
    const proxy = await startProxy(() => alive);
    closers.push(proxy.close);
    const checker = createChecker();
    const clients = Array.from({ length: 10 }, () => stack.backend(proxy.url));
    clients.forEach((c, i) => {
      for (let r = 0; r < 5; r++) checker.track(c, 'testRequest', { count: 40, delayMs: 100, tag: `g${i}r${r}` }, { timeoutMs: 60_000 });
    });
    await sleep(1000);
    // Every client went to gateway A (first alive); kill it without warning.
    a.proc.child.kill('SIGKILL');
    alive = [b.port];
    await checker.settle(45_000);
    const c = checker.print('kill -9 gateway');
    expect(c).toMatchObject({ total: 50, ok: 50, lost: 0, duplicated: 0, 'wrong-recipient': 0, hung: 0 });
    // Gateway B really served them: it resumed sessions.
    expect(b.proc.output()).toContain('"resumed":true');
  });
});
