// Cluster faults: a private 3-node RabbitMQ cluster on loopback, a gateway, a
// Node worker and a Python worker all given the three node URLs, streaming
// load from several sessions, and one node lost per case:
//   1. stop_app of the node holding the gateway's connection, then start_app;
//   2. kill -9 of that node, then a restart;
//   3. kill -9 of the node the workers are connected to, then a restart;
//   4. stop_app of the node leading the request queue, then start_app.
// Each case prints a Jepsen-style tally (test/faults/checker.ts) and how long
// until every session was served again; the tables go to
// test-artifacts/cluster.md. Nothing accepted may be lost, duplicated or hang,
// and what fails must fail typed and retryable, well before its deadline.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '@warren/client';
import { classify, createChecker, type Outcome, type Tracked } from '../faults/checker.ts';
import { rabbitInstalled, sleep, startCluster, type Cluster } from '../support/cluster.ts';
import { isWorkQueue } from '../support/rabbit.ts';
import { root, type Proc } from '../support/processes.ts';
import { createClusterStack, GATEWAY_CONNECTION, NODE_WORKER_CONNECTION, PYTHON_WORKER_CONNECTION } from './stack.ts';

const available = rabbitInstalled() && existsSync('/usr/bin/python3');
const TIMEOUT_MS = 30_000;
/** "Well before the deadline": a failure must come within half of it. */
const FAIL_FAST_MS = TIMEOUT_MS / 2;
const SESSIONS = 8;
/** Bounds of each case's load loop: calls and time. */
const MAX_CALLS = 200;
const LOAD_INTERVAL_MS = 45;
const DOWN_MS = 5_000;

interface CaseResult {
  name: string;
  target: string;
  all: Record<Outcome, number> & { total: number };
  during: Record<Outcome, number> & { total: number };
  codes: string;
  slowestFailureMs: number;
  restarted: number;
  servedAgainMs: number | null;
  faultMs: number;
  seconds: number;
  byWorker: string;
}

const tally = (ts: Tracked[]) => {
  const counts: Record<Outcome, number> = { ok: 0, lost: 0, duplicated: 0, 'wrong-recipient': 0, rejected: 0, hung: 0 };
  for (const t of ts) counts[classify(t)] += 1;
  return { ...counts, total: ts.length };
};

describe.skipIf(!available)('3-node cluster faults', () => {
  let cluster: Cluster;
  let stack: ReturnType<typeof createClusterStack>;
  let gatewayUrl = '';
  const procs: Record<string, Proc> = {};
  const results: CaseResult[] = [];
  const started = Date.now();
  const log = (line: string) => console.log(`[cluster] ${line}`);

  beforeAll(async () => {
    cluster = await startCluster({ log });
    stack = createClusterStack(cluster);
    log(`cluster up after ${((Date.now() - started) / 1000).toFixed(1)} s; AMQP_URL=${stack.AMQP_URL}`);
    const gw = await stack.gateway();
    gatewayUrl = gw.url;
    procs.gateway = gw.proc;
    [procs.node, procs.python] = await Promise.all([stack.nodeWorker(), stack.pythonWorker()]);
    await healthy();
    log(`placement: ${await placement()}`);
  }, 240_000);

  afterAll(async () => {
    try {
      if (stack) {
        // Work queues must be empty once the workers drained what they hold.
        const until = Date.now() + 20_000;
        const work = async () => Object.entries(await stack.depths()).filter(([name]) => isWorkQueue(name) && !name.endsWith('.dead'));
        while ((await work()).some(([, n]) => n > 0) && Date.now() < until) await sleep(500);
        const left = await work();
        await stack.stop();
        log(`work queues at the end: ${JSON.stringify(Object.fromEntries(left))}`);
      }
    } finally {
      await cluster?.close();
      writeReport(results, (Date.now() - started) / 1000);
    }
  }, 120_000);

  const connectionsOf = async () => {
    const [gateway, node, python] = await cluster.connectionsByPrefix([GATEWAY_CONNECTION, NODE_WORKER_CONNECTION, PYTHON_WORKER_CONNECTION]);
    return { gateway: gateway!, node: node!, python: python! };
  };
  const placement = async () => {
    const c = await connectionsOf();
    const names = (xs: number[]) => xs.map((i) => `node ${i + 1}`).join('+') || 'none';
    return `gateway on ${names(c.gateway)}, Node worker on ${names(c.node)}, Python worker on ${names(c.python)}, request queue led by node ${(await cluster.queueLeader(requestQueue())) + 1}`;
  };
  const requestQueue = () => `${stack.namespace}.req.testRequest`;

  /**
   * Components start at a random node and move on when theirs fails, so the
   * placement a case needs is made by restarting (gracefully, before the
   * load) whichever component sits wrong, in parallel, until it lands right:
   * `apart` puts both workers on one node other than the gateway's, so each
   * case loses what it names and only that; `together` puts both workers on
   * the gateway's node. Bounded; logged if it fails.
   */
  const arrange = (want: 'apart' | 'together') => async () => {
    for (let round = 0; ; round++) {
      const c = await connectionsOf();
      const one = (xs: number[]) => (xs.length === 1 ? xs[0]! : -1);
      const g = one(c.gateway);
      const n = one(c.node);
      const p = one(c.python);
      const wrong =
        want === 'apart'
          ? // The gateway moves if it shares a node with a worker; then Python joins Node's node.
            { gateway: g < 0 || g === n || g === p, node: n < 0, python: p < 0 || (g !== n && p !== n) }
          : { gateway: g < 0, node: n !== g, python: p !== g };
      if (!wrong.gateway && !wrong.node && !wrong.python) return;
      if (round === 12) break;
      await Promise.all([
        wrong.gateway &&
          (async () => {
            await procs.gateway!.kill();
            const gw = await stack.gateway();
            procs.gateway = gw.proc;
            gatewayUrl = gw.url;
          })(),
        wrong.node &&
          (async () => {
            await procs.node!.kill();
            procs.node = await stack.nodeWorker();
          })(),
        wrong.python &&
          (async () => {
            await procs.python!.kill();
            procs.python = await stack.pythonWorker();
          })(),
      ]);
      await sleep(300);
    }
    log(`could not place the components (${want}): ${await placement()}`);
  };

  /** Three running nodes, every quorum queue of ours with 3 members online, every component connected, a call served. */
  const healthy = async () => {
    const until = Date.now() + 120_000;
    await cluster.heal();
    const probe = stack.backend(gatewayUrl);
    let last = '';
    while (Date.now() < until) {
      const out = await cluster.ctl(0, 'list_queues', '--quiet', '--no-table-headers', 'name', 'type', 'online').catch(() => '');
      const quorum = out
        .split('\n')
        .map((l) => l.split('\t').map((s) => s.trim()))
        .filter(([name, type]) => name?.startsWith(`${stack.namespace}.`) && type === 'quorum');
      const short = quorum.filter(([, , online]) => (online ?? '').split(',').length < 3).map(([name]) => name);
      const c = await connectionsOf().catch(() => ({ gateway: [], node: [], python: [] }));
      const connected = c.gateway.length > 0 && c.node.length > 0 && c.python.length > 0;
      const served =
        quorum.length > 0 &&
        short.length === 0 &&
        connected &&
        (await probe.makeBackendRequest('testRequest', { count: 1, delayMs: 0 }, { timeoutMs: 5000 }).then(
          () => true,
          () => false,
        ));
      if (served) return;
      last = `quorum queues short of members: ${short.join(', ') || 'none'}; connections ${JSON.stringify(c)}`;
      await sleep(500);
    }
    throw new Error(`cluster did not come back to health within 120 s: ${last}`);
  };

  /**
   * One case: streaming load from SESSIONS sessions, the fault 1.5 s in, the
   * node brought back DOWN_MS after the fault, load until 1 s after that.
   * Probes from every session after the fault measure when each is served again.
   */
  const runCase = async (
    name: string,
    pick: () => Promise<number>,
    fault: (i: number) => Promise<void>,
    recover: (i: number) => Promise<void>,
    place: () => Promise<void> = arrange('apart'),
  ) => {
    const caseStarted = Date.now();
    await healthy();
    await place();
    const before = await placement();
    const target = await pick();
    if (target < 0) throw new Error(`${name}: no target node (${before})`);
    log(`${name}: target node ${target + 1}; ${before}`);
    const checker = createChecker();
    const clients: Backend[] = Array.from({ length: SESSIONS }, () => stack.backend(gatewayUrl));
    let loading = true;
    const loadEnds = Date.now() + 60_000;
    const load = (async () => {
      for (let n = 0; loading && n < MAX_CALLS && Date.now() < loadEnds; n++) {
        checker.track(clients[n % SESSIONS]!, 'testRequest', { count: 20, delayMs: 50, tag: `${name.slice(0, 2)}-${n}` }, { timeoutMs: TIMEOUT_MS });
        await sleep(LOAD_INTERVAL_MS);
      }
    })();
    await sleep(1500);
    const faultAt = Date.now();
    await fault(target);
    const faultMs = Date.now() - faultAt;
    // Every session probes (one call at a time) until one is served.
    const served = Promise.all(
      clients.map(async (client) => {
        const until = Date.now() + 60_000;
        while (Date.now() < until) {
          const ok = await client.makeBackendRequest('testRequest', { count: 1, delayMs: 0 }, { timeoutMs: 5000 }).then(
            () => true,
            () => false,
          );
          if (ok) return Date.now() - faultAt;
          await sleep(200);
        }
        return null;
      }),
    );
    await sleep(Math.max(0, DOWN_MS - faultMs));
    const recoverAt = Date.now();
    await recover(target);
    log(`${name}: node ${target + 1} back ${Date.now() - recoverAt} ms after recovery began`);
    await sleep(1000);
    loading = false;
    await load;
    const servedTimes = await served;
    await checker.settle(TIMEOUT_MS + 15_000);
    const all = tally(checker.tracked);
    const duringOutage = checker.tracked.filter((t) => t.startedAt >= faultAt && t.startedAt <= recoverAt);
    const failures = checker.tracked.filter((t) => t.error);
    const codes = [...new Set(failures.map((t) => t.error!.code))]
      .map((code) => `${code} ×${failures.filter((t) => t.error!.code === code).length}`)
      .join(', ');
    const servedAgainMs = servedTimes.every((t) => t !== null) ? Math.max(...(servedTimes as number[])) : null;
    const result: CaseResult = {
      name,
      target: `node ${target + 1}`,
      all,
      during: tally(duringOutage),
      codes,
      slowestFailureMs: Math.max(0, ...failures.map((t) => t.settledAt! - t.startedAt)),
      restarted: checker.tracked.filter((t) => t.restarts > 0).length,
      servedAgainMs,
      faultMs,
      seconds: (Date.now() - caseStarted) / 1000,
      byWorker: workerShare(checker.tracked),
    };
    results.push(result);
    checker.print(name);
    log(
      `${name}: answered by ${result.byWorker}; during the outage total=${result.during.total} ok=${result.during.ok} failed-fast=${result.during.rejected}; ` +
        `slowest failure ${result.slowestFailureMs} ms; every session served again ${servedAgainMs ?? 'NEVER'} ms after the fault`,
    );
    for (const t of checker.tracked.filter((x) => classify(x) !== 'ok' && classify(x) !== 'rejected').slice(0, 5)) {
      log(`  ${classify(t)} ${t.tag}: shown ${t.shown.length}/${t.expected} restarts=${t.restarts} error=${t.error?.code ?? '-'} ${t.error?.message ?? ''}`);
    }
    if (all.lost + all.hung + all.duplicated > 0) {
      // For diagnosis: what the components complained about during the case.
      for (const [label, proc] of Object.entries(procs)) {
        const lines = proc
          .output()
          .split('\n')
          .filter((l) => /"level":(40|50)|"level":"(warn|error)"|WARNING|ERROR|nack|undeliverable/i.test(l));
        log(
          `${label}: ${lines.length} warnings so far; last ones:\n    ${lines
            .slice(-8)
            .map((l) => l.slice(0, 400))
            .join('\n    ')}`,
        );
      }
    }
    expect({ lost: all.lost, duplicated: all.duplicated, hung: all.hung, 'wrong-recipient': all['wrong-recipient'] }).toEqual({
      lost: 0,
      duplicated: 0,
      hung: 0,
      'wrong-recipient': 0,
    });
    // What failed, failed typed and retryable (classify counts anything else as lost) and fast.
    for (const t of failures) expect(t.settledAt! - t.startedAt, `${t.tag} failed ${t.error!.code} late`).toBeLessThan(FAIL_FAST_MS);
    expect(servedAgainMs, 'every session must be served again').not.toBeNull();
    expect(all.total).toBeGreaterThan(100);
  };

  // Which language answered: the Node demo's result carries elapsedMs, the Python fixture's does not.
  const workerShare = (ts: Tracked[]) => {
    const done = ts.filter((t) => t.result !== undefined);
    const node = done.filter((t) => typeof t.result === 'object' && t.result !== null && 'elapsedMs' in t.result).length;
    return `Node ${node} / Python ${done.length - node}`;
  };

  const gatewayNode = async () => (await cluster.connectionNodes(GATEWAY_CONNECTION))[0] ?? -1;
  const workersNode = async () => {
    // The node with the most worker connections (both languages when they share one).
    const { node, python } = await connectionsOf();
    const c = [...node, ...python];
    const counts = cluster.nodes.map((_, i) => c.filter((x) => x === i).length);
    return counts.indexOf(Math.max(...counts));
  };

  it('1. stop_app of the gateway connection node', async () => {
    await runCase(
      'stop_app gateway node',
      gatewayNode,
      (i) => cluster.stopApp(i),
      (i) => cluster.startApp(i),
    );
  });

  it('2. kill -9 of the gateway connection node', async () => {
    await runCase(
      'kill -9 gateway node',
      gatewayNode,
      (i) => cluster.kill9(i),
      (i) => cluster.restart(i),
    );
  });

  it('3. kill -9 of the workers node', async () => {
    await runCase(
      'kill -9 workers node',
      workersNode,
      (i) => cluster.kill9(i),
      (i) => cluster.restart(i),
    );
  });

  it('4. stop_app of the node leading the request queue', async () => {
    await runCase(
      'stop_app request-queue leader',
      () => cluster.queueLeader(requestQueue()),
      (i) => cluster.stopApp(i),
      (i) => cluster.startApp(i),
    );
  });

  it('5. kill -9 of the node leading the request queue', async () => {
    await runCase(
      'kill -9 request-queue leader',
      () => cluster.queueLeader(requestQueue()),
      (i) => cluster.kill9(i),
      (i) => cluster.restart(i),
    );
  });

  it('6. kill -9 of one node holding the gateway and both workers', async () => {
    await runCase(
      'kill -9 node of gateway and workers',
      gatewayNode,
      (i) => cluster.kill9(i),
      (i) => cluster.restart(i),
      arrange('together'),
    );
  });
});

const writeReport = (results: CaseResult[], seconds: number) => {
  if (results.length === 0) return;
  const out = join(root, 'test-artifacts');
  mkdirSync(out, { recursive: true });
  const lines = [
    '# Cluster faults (3-node RabbitMQ on loopback)',
    '',
    `Gateway, Node worker and Python worker given all three node URLs; ${SESSIONS} sessions; streams of 20 chunks × 50 ms, one call every ${LOAD_INTERVAL_MS} ms (at most ${MAX_CALLS} per case), deadline ${TIMEOUT_MS / 1000} s; the node is brought back ${DOWN_MS / 1000} s after the fault. Suite wall time ${seconds.toFixed(0)} s.`,
    '',
    '| case | node | calls | answered by | ok | lost | duplicated | hung | failed fast | error codes (every failed call) | slowest failure, ms | streams restarted | started during the outage: calls / ok / failed fast | every session served again, ms after the fault |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...results.map(
      (r) =>
        `| ${r.name} | ${r.target} | ${r.all.total} | ${r.byWorker} | ${r.all.ok} | ${r.all.lost + r.all['wrong-recipient']} | ${r.all.duplicated} | ${r.all.hung} | ${r.all.rejected} | ${r.codes || '-'} | ${r.slowestFailureMs} | ${r.restarted} | ${r.during.total} / ${r.during.ok} / ${r.during.rejected} | ${r.servedAgainMs ?? 'never'} |`,
    ),
    '',
    'lost counts a call that ended with an error other than a typed rejection (BROKER_UNAVAILABLE, NO_HANDLER, SHUTTING_DOWN, RATE_LIMITED), e.g. TIMEOUT, or whose chunks were incomplete; lost includes wrong-recipient.',
    '',
  ];
  writeFileSync(join(out, 'cluster.md'), lines.join('\n'));
};
