// Faults 3 and 4: a worker killed mid-stream (each language), and a poison
// request that kills every worker it reaches.
import { describe, expect, it } from 'vitest';
import { startProcess, type Proc } from '../support/processes.ts';
import { createChecker } from './checker.ts';
import { sleep, useStack } from './stack.ts';

describe.each(['node', 'python'] as const)('kill -9 of one of two %s workers', (language) => {
  const stack = useStack(`fcrash${language.slice(0, 2)}`);

  const startWorker = async (): Promise<Proc> => {
    if (language === 'node') return stack.worker(undefined, { WORKER_CONCURRENCY: '50' });
    return stack.pythonWorker();
  };

  it(`3. every affected request completes on the other ${language} worker; the client saw a clean restart`, async () => {
    const { url } = await stack.gateway();
    const victim = await startWorker();
    const survivor = await startWorker();
    const checker = createChecker();
    const clients = Array.from({ length: 4 }, () => stack.backend(url));
    clients.forEach((b, c) => {
      for (let r = 0; r < 10; r++) checker.track(b, 'testRequest', { count: 20, delayMs: 100, tag: `${language}${c}r${r}` }, { timeoutMs: 60_000 });
    });
    await sleep(800);
    victim.child.kill('SIGKILL');
    await checker.settle(45_000);
    const c = checker.print(`kill -9 ${language} worker`);
    expect(c).toMatchObject({ total: 40, ok: 40, lost: 0, duplicated: 0, 'wrong-recipient': 0, hung: 0 });
    expect(c.restarts, 'some streams must have been on the killed worker').toBeGreaterThan(0);
    expect(survivor.child.exitCode).toBeNull();
  });
});

describe('poison request', () => {
  const stack = useStack('fpoison');

  it('4. is dead-lettered after the delivery limit, its caller gets DELIVERY_LIMIT, other traffic keeps flowing', async () => {
    const { url } = await stack.gateway();
    const workers = new Set<Proc>();
    let stopped = false;
    let deaths = 0;
    // A supervisor that restarts workers as the poison kills them (some die
    // before they even say they are serving: the poison is waiting for them).
    const keepTwo = async () => {
      while (!stopped) {
        for (const w of [...workers]) {
          if (w.child.exitCode !== null || w.child.signalCode !== null) {
            workers.delete(w);
            deaths += 1;
          }
        }
        while (workers.size < 2) workers.add(startProcess('bun', 'test/faults/fixtures/crash-worker.ts', { WARREN_NAMESPACE: stack.namespace }));
        await sleep(100);
      }
    };
    const supervisor = keepTwo();
    const backend = stack.backend(url);
    await sleep(1500);
    const other = createChecker();
    let poisonAttempts = 0;
    const poison = backend.makeBackendRequest('poison', {}, { timeoutMs: 90_000, onRestart: (a) => (poisonAttempts = a) }).then(
      () => null,
      (error: { code: string; message: string }) => error,
    );
    let n = 0;
    let outcome: { code: string; message: string } | null | undefined;
    void poison.then((o) => (outcome = o));
    while (outcome === undefined && n < 400) {
      other.track(backend, 'testRequest', { count: 3, delayMs: 10, tag: `o${n++}` }, { timeoutMs: 60_000 });
      await sleep(100);
    }
    stopped = true;
    await supervisor;
    await other.settle(30_000);
    const c = other.print('traffic beside the poison request');
    console.log(`[fault] poison: caller got ${outcome?.code} after ${deaths} worker deaths: ${outcome?.message}`);
    expect(outcome).toMatchObject({ code: 'DELIVERY_LIMIT' });
    // The verdict outranks every attempt the caller saw, so it is never dropped as stale.
    expect(poisonAttempts).toBeGreaterThan(1);
    expect(c.lost + c.hung + c.duplicated + c['wrong-recipient']).toBe(0);
    expect(c.ok).toBeGreaterThan(0);
  });
});
