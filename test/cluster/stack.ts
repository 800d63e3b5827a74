// What a cluster case runs: a gateway, a Node worker and a Python worker (the
// fault suite's testRequest-shaped streaming handler in both languages), all
// given every node of the private cluster as one comma-separated AMQP_URL.
import { createBackend, createMemorySessionStore, type Backend } from '@warren/client';
import { join } from 'node:path';
import { killAll, root, startCommand, startProcess, type Proc, isReady } from '../support/processes.ts';
import { uniqueNamespace } from '../support/rabbit.ts';
import type { Cluster } from '../support/cluster.ts';
import { SECRET } from '../faults/stack.ts';

export const GATEWAY_CONNECTION = 'warren-gateway';
export const NODE_WORKER_CONNECTION = 'warren-worker:demo-node';
export const PYTHON_WORKER_CONNECTION = 'warren-worker:fault-python';

export const createClusterStack = (cluster: Cluster, prefix = 'clu') => {
  const namespace = uniqueNamespace(prefix);
  const AMQP_URL = cluster.urls.join(',');
  const backends: Backend[] = [];
  const gateway = async () => {
    const proc = startProcess('bun', 'packages/gateway/src/main.ts', {
      PORT: '0',
      HOST: '127.0.0.1',
      WARREN_NAMESPACE: namespace,
      SESSION_SECRET: SECRET,
      AMQP_URL,
    });
    const line = await proc.waitFor(isReady, 60_000);
    return { proc, url: String(line.url) };
  };
  const nodeWorker = async (): Promise<Proc> => {
    const proc = startProcess('bun', 'examples/workers-node/src/main.ts', { WARREN_NAMESPACE: namespace, AMQP_URL, WORKER_CONCURRENCY: '100' });
    await proc.waitFor(isReady, 60_000);
    return proc;
  };
  const pythonWorker = async (): Promise<Proc> => {
    const proc = startCommand('python fault worker', '/usr/bin/python3', [join(root, 'test/faults/fixtures/py_stream_worker.py')], {
      WARREN_NAMESPACE: namespace,
      AMQP_URL,
      PYTHONUNBUFFERED: '1',
      WORKER_CONCURRENCY: '100',
    });
    await proc.waitFor(isReady, 60_000);
    return proc;
  };
  const backend = (url: string) => {
    const b = createBackend({ url, sessionStore: createMemorySessionStore() });
    backends.push(b);
    return b;
  };
  /** Messages (ready + unacked) in the namespace's queues, asked of a running node. */
  const depths = async (): Promise<Record<string, number>> => {
    for (let i = 0; i < cluster.nodes.length; i++) {
      if (!(await cluster.running(i))) continue;
      const out = await cluster.ctl(i, 'list_queues', '--quiet', '--no-table-headers', 'name', 'messages_ready', 'messages_unacknowledged');
      const result: Record<string, number> = {};
      for (const line of out.split('\n')) {
        const [name, ready, unacked] = line.split('\t').map((s) => s.trim());
        if (name?.startsWith(`${namespace}.`)) result[name] = Number(ready) + Number(unacked);
      }
      return result;
    }
    return {};
  };
  const stop = async () => {
    for (const b of backends) b.close();
    await killAll();
  };
  return { namespace, AMQP_URL, gateway, nodeWorker, pythonWorker, backend, depths, stop };
};
