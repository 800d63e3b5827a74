import { execFileSync } from 'node:child_process';
import { createBackend, createMemorySessionStore } from '@warren/client';
import { startGateway, startNodeWorker, killAll } from './test/support/processes.ts';
import { deleteNamespace, uniqueNamespace, queueStats } from './test/support/rabbit.ts';
import { createChecker } from './test/faults/checker.ts';
for (let round = 0; round < 3; round++) {
  execFileSync('rabbitmqctl', ['stop_app']); execFileSync('rabbitmqctl', ['start_app']); execFileSync('rabbitmqctl', ['await_startup']);
  const ns = uniqueNamespace('exp');
  const g = await startGateway('bun', ns);
  const w1 = await startNodeWorker('bun', ns, { WORKER_CONCURRENCY: '100' });
  const w2 = await startNodeWorker('bun', ns, { WORKER_CONCURRENCY: '100' });
  const checker = createChecker();
  const clients = Array.from({ length: 10 }, () => createBackend({ url: g.url, sessionStore: createMemorySessionStore() }));
  clients.forEach((b, c) => { for (let r = 0; r < 10; r++) checker.track(b, 'testRequest', { count: 30, delayMs: 100, tag: `c${c}r${r}` }, { timeoutMs: 60_000 }); });
  await new Promise((r) => setTimeout(r, 500));
  execFileSync('rabbitmqctl', ['close_all_connections', 'x']);
  await checker.settle(15_000);
  const c = checker.print(`round ${round}`);
  if (c.hung > 0) {
    console.log(JSON.stringify(queueStats(ns)).slice(0, 1500));
    const pick = (p: any) => p.output().split('\n').filter((l: string) => !/request (accepted|finished)|socket (dis)?connected/.test(l)).slice(-25).map((l: string) => l.slice(0, 300)).join('\n');
    console.log('GATEWAY\n' + pick(g.proc)); console.log('W1\n' + pick(w1)); console.log('W2\n' + pick(w2));
  }
  clients.forEach((b) => b.close()); await killAll(); await deleteNamespace(ns);
  if (c.hung > 0) break;
}
