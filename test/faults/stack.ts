// Starts what a fault case needs (gateways and workers as real processes on
// Bun against the real broker) and tears it down, checking the broker is left
// running with the case's queues empty.
import { createBackend, createMemorySessionStore, type Backend } from '@warren/client';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';
import { killAll, root, startCommand, startProcess, type Proc, isReady } from '../support/processes.ts';
import { connect } from 'amqplib';
import { AMQP_URL, deleteNamespace, isWorkQueue, queueDepths, queueStats, uniqueNamespace } from '../support/rabbit.ts';
import { ensureRunning } from './broker.ts';

export const SECRET = 'fault-suite-shared-session-secret';

export const createStack = (prefix: string) => {
  const namespace = uniqueNamespace(prefix);
  const backends: Backend[] = [];
  const gateway = async (env: Record<string, string> = {}) => {
    const proc = startProcess('bun', 'packages/gateway/src/main.ts', {
      PORT: '0',
      HOST: '127.0.0.1',
      WARREN_NAMESPACE: namespace,
      SESSION_SECRET: SECRET,
      ...env,
    });
    const line = await proc.waitFor(isReady);
    return { proc, url: String(line.url), port: Number(new URL(String(line.url)).port) };
  };
  const worker = async (file = 'examples/workers-node/src/main.ts', env: Record<string, string> = {}): Promise<Proc> => {
    const proc = startProcess('bun', file, { WARREN_NAMESPACE: namespace, ...env });
    await proc.waitFor(isReady);
    return proc;
  };
  const backend = (url: string) => {
    const b = createBackend({ url, sessionStore: createMemorySessionStore() });
    backends.push(b);
    return b;
  };
  /**
   * Leaves the broker running, stops everything gracefully (workers drain
   * what they hold) and returns the messages left in the case's work queues
   * (request and dead-letter queues): all must be 0. Reply queues of clients
   * that left may still hold late duplicates; they expire by themselves.
   */
  const teardown = async () => {
    ensureRunning();
    for (const b of backends) b.close();
    // At-least-once may leave a late duplicate queued (e.g. a redelivery after
    // a broker restart whose first copy already answered): let the live
    // workers finish it before stopping them.
    const workQueues = () => Object.entries(queueDepths(namespace)).filter(([name]) => isWorkQueue(name));
    const until = Date.now() + 20_000;
    while (workQueues().some(([, n]) => n > 0) && Date.now() < until) await sleep(500);
    await killAll();
    const depths = Object.fromEntries(workQueues());
    if (Object.values(depths).some((n) => n > 0)) {
      console.log('[fault] non-empty work queues', JSON.stringify(queueStats(namespace)));
      await describeLeftovers(Object.keys(depths).filter((q) => depths[q]! > 0));
    }
    await deleteNamespace(namespace);
    return depths;
  };
  /** The Python fault worker (test/faults/fixtures/py_stream_worker.py): testRequest and longTask. */
  const pythonWorker = async (env: Record<string, string> = {}): Promise<Proc> => {
    const proc = startCommand('python fault worker', '/usr/bin/python3', [join(root, 'test/faults/fixtures/py_stream_worker.py')], {
      WARREN_NAMESPACE: namespace,
      PYTHONUNBUFFERED: '1',
      ...env,
    });
    await proc.waitFor(isReady);
    return proc;
  };
  return { namespace, gateway, worker, pythonWorker, backend, teardown };
};

/** A stack for one describe block, torn down after it with its work queues checked empty. */
export const useStack = (prefix: string) => {
  const stack = createStack(prefix);
  afterAll(async () => {
    const depths = await stack.teardown();
    expect(
      Object.values(depths).every((n) => n === 0),
      `work queues left non-empty: ${JSON.stringify(depths)}`,
    ).toBe(true);
  });
  return stack;
};

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const rssKb = (pid: number): number => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
};

// For diagnosis: what a leftover message is (without consuming it for good).
const describeLeftovers = async (queues: string[]) => {
  const model = await connect(AMQP_URL);
  try {
    const ch = await model.createChannel();
    for (const queue of queues) {
      const msg = await ch.get(queue, { noAck: false });
      if (!msg) continue;
      console.log(
        `[fault] leftover in ${queue}: id=${msg.properties.correlationId} redelivered=${msg.fields.redelivered} headers=${JSON.stringify(msg.properties.headers)} body=${msg.content.toString().slice(0, 200)}`,
      );
      ch.nack(msg, false, true);
    }
    await ch.close();
  } finally {
    await model.close();
  }
};
