// The systems a run compares: Warren (gateway on Bun or Node), and the
// baselines. Each starts its server-side processes once; the harness then
// runs every cell against it with a fresh load-client process.
import { randomBytes } from 'node:crypto';
import { deleteNamespace } from '../test/support/rabbit.ts';
import { deleteQueues, obliterateQueues } from './lib/cleanup.ts';
import { freePort, waitForHttp } from './lib/free-port.ts';
import { pidListeningOn, pidOf } from './lib/proc-stat.ts';
import { spawnChild, type Child, type Runtime } from './lib/spawn.ts';
import { queueName } from './lib/bullmq-relay.ts';
import { AMQP_URL, GUARANTEES, requestQueue } from './lib/amqp-floor.ts';
import { naiveExchange, naiveQueue } from './lib/naive-relay.ts';

export type Role = 'client' | 'gateway' | 'worker' | 'broker';

export interface Running {
  url: string;
  /** Server-side processes whose CPU each cell charges (the client is added per cell). */
  pids: Partial<Record<Role, number>>;
  /** The load client this system is driven by (run from `root` when given). */
  client: { file: string; env: Record<string, string>; root?: string };
  close(): Promise<void>;
}

export interface System {
  /** Key used on the command line and in results. */
  id: string;
  label: string;
  start(runtime: Runtime): Promise<Running>;
}

const hex = () => randomBytes(3).toString('hex');
/** BENCH_PREFIX_TAG: a tag in every name a run declares, so runs beside other work on one broker are told apart. */
const tag = process.env.BENCH_PREFIX_TAG ?? '';
const ready = (child: Child, timeoutMs = 30_000) => child.waitFor((line) => line.ev === 'ready', timeoutMs);
/** The broker this run talks to: whoever listens on its port, else the first process of that name. */
const brokerPid = (program: string) => {
  const port = program === 'redis-server' ? Number(process.env.REDIS_PORT ?? 6379) : Number(new URL(AMQP_URL).port || 5672);
  const pid = pidListeningOn(port) ?? pidOf(program);
  return pid === undefined ? {} : { broker: pid };
};

/** Warren's gateway as every Warren system runs it: defaults except the limits a load test must lift. */
const startGateway = async (runtime: Runtime, namespace: string, where: { root?: string } = {}, extraEnv: Record<string, string> = {}) => {
  const port = await freePort();
  const gateway = spawnChild(
    'gateway',
    runtime,
    'packages/gateway/src/main.ts',
    {
      PORT: String(port),
      HOST: '127.0.0.1',
      WARREN_NAMESPACE: namespace,
      LOG_LEVEL: 'warn',
      // The per-connection limits stay in the path, set above what a load test sends.
      RATE_LIMIT_PER_SECOND: '1000000',
      RATE_LIMIT_BURST: '1000000',
      // Every bench client and idle holder connects from loopback.
      MAX_CONNECTIONS_PER_IP: '0',
      ...extraEnv,
    },
    { profile: true, ...where },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/readyz`).catch((error: Error) => {
    throw new Error(`${error.message}\n${gateway.tail()}`);
  });
  return { gateway, url };
};

/**
 * Warren: bench worker, gateway on `gatewayRuntime`, defaults except the
 * limits a load test must lift. `from` runs gateway, worker and client from
 * another checkout (BENCH_BEFORE_ROOT: the tree before a change, for a
 * same-run A/B). `classic`: classic session reply queues
 * (`REPLY_QUEUE_TYPE=classic`, `warren-classic`), to set beside the floor's.
 */
const warren = (gatewayRuntime: Runtime, from?: string, classic = false): System => ({
  id: classic ? 'warren-classic' : from !== undefined ? 'warren-before' : gatewayRuntime === 'bun' ? 'warren' : 'warren-node',
  label: `Warren${from !== undefined ? ' before' : ''}${classic ? ', classic reply queues' : ''} (gateway on ${gatewayRuntime === 'bun' ? 'Bun' : 'Node'})`,
  async start(runtime) {
    const where = from === undefined ? {} : { root: from };
    const namespace = `bench${tag}${hex()}`;
    const worker = spawnChild(
      'warren worker',
      runtime,
      'bench/servers/warren-worker.ts',
      {
        WARREN_NAMESPACE: namespace,
        LOG_LEVEL: 'warn',
        WORKER_CONCURRENCY: '128',
      },
      { profile: true, ...where },
    );
    await ready(worker);
    const { gateway, url } = await startGateway(gatewayRuntime, namespace, where, classic ? { REPLY_QUEUE_TYPE: 'classic' } : {});
    return {
      url,
      pids: { gateway: gateway.pid, worker: worker.pid, ...brokerPid('beam.smp') },
      client: { file: 'bench/clients/warren.ts', env: {}, ...where },
      async close() {
        await Promise.all([gateway.stop(), worker.stop()]);
        await deleteNamespace(namespace).catch(() => {});
      },
    };
  },
});

/**
 * Warren's fast lane (decision 0016): the same worker and gateway, every call
 * `{ fast: true }` and both types served fast. Starts measuring once the
 * gateway's registry lists the types as fast, or calls would take the durable path.
 * `from`: from another checkout, as warren-before (`warren-fast-before`).
 */
const warrenFast = (from?: string): System => ({
  id: from === undefined ? 'warren-fast' : 'warren-fast-before',
  label: `Warren fast lane${from === undefined ? '' : ' before'} (gateway on Bun)`,
  async start(runtime) {
    const where = from === undefined ? {} : { root: from };
    const namespace = `bench${tag}${hex()}`;
    const env = { WARREN_NAMESPACE: namespace, LOG_LEVEL: 'warn', WORKER_CONCURRENCY: '128', BENCH_FAST: '1' };
    // Gateway first: it hears the worker's first announcement instead of waiting for a heartbeat.
    const { gateway, url } = await startGateway('bun', namespace, where);
    const worker = spawnChild('warren fast worker', runtime, 'bench/servers/warren-worker.ts', env, { profile: true, ...where });
    await ready(worker);
    const until = Date.now() + 15_000;
    for (;;) {
      const catalogue = (await (await fetch(`${url}/registry`)).json()) as { types: Array<{ type: string; fast?: boolean }> };
      if (['echo', 'stream'].every((type) => catalogue.types.some((t) => t.type === type && t.fast === true))) break;
      if (Date.now() > until) throw new Error('the gateway never listed echo and stream as fast');
      await new Promise((r) => setTimeout(r, 100));
    }
    return {
      url,
      pids: { gateway: gateway.pid, worker: worker.pid, ...brokerPid('beam.smp') },
      client: { file: 'bench/clients/warren.ts', env: { BENCH_FAST: '1' }, ...where },
      async close() {
        await Promise.all([gateway.stop(), worker.stop()]);
        await deleteNamespace(namespace).catch(() => {});
      },
    };
  },
});

/**
 * Warren with the Python worker (bench/servers/warren-worker.py) behind the
 * same gateway as `warren`, to compare the two SDKs in one run.
 * BENCH_PY_BEFORE=<dir of another checkout's python/> adds the same system
 * on that SDK (`warren-python-before`), for a same-run before/after.
 */
const warrenPython = (pythonPath?: string): System => ({
  id: pythonPath === undefined ? 'warren-python' : 'warren-python-before',
  label: `Warren, Python worker${pythonPath === undefined ? '' : ' before'} (gateway on Bun)`,
  async start() {
    const namespace = `bench${tag}${hex()}`;
    const file = 'bench/servers/warren-worker.py';
    const worker = spawnChild(
      'warren python worker',
      'node',
      file,
      {
        WARREN_NAMESPACE: namespace,
        LOG_LEVEL: 'warning',
        WORKER_CONCURRENCY: '128',
        ...(pythonPath === undefined ? {} : { BENCH_PYTHONPATH: pythonPath }),
      },
      { command: ['/usr/bin/python3', [file]] },
    );
    await ready(worker);
    const { gateway, url } = await startGateway('bun', namespace);
    return {
      url,
      pids: { gateway: gateway.pid, worker: worker.pid, ...brokerPid('beam.smp') },
      client: { file: 'bench/clients/warren.ts', env: {} },
      async close() {
        await Promise.all([gateway.stop(), worker.stop()]);
        await deleteNamespace(namespace).catch(() => {});
      },
    };
  },
});

const socketFloor: System = {
  id: 'socket',
  label: 'bare Socket.IO ack echo (socket floor)',
  async start(runtime) {
    const server = spawnChild('socket server', runtime, 'bench/servers/socket-echo.ts', {});
    const { url } = await ready(server);
    return {
      url: String(url),
      pids: { gateway: server.pid },
      client: { file: 'bench/clients/socket.ts', env: {} },
      close: () => server.stop(),
    };
  },
};

/**
 * The broker floor: amqplib client and worker straight to RabbitMQ. With
 * `guarantees`, it also has every guarantee Warren keeps at the broker
 * (GUARANTEES), whatever BENCH_AMQP_MIMIC says: the ceiling of a relay with
 * every guarantee on.
 */
const amqpFloor = (guarantees: boolean): System => ({
  id: guarantees ? 'amqp-guarantees' : 'amqp',
  label: guarantees ? "bare AMQP with Warren's guarantees (quorum reply queues, mandatory, TTL, delivery limit)" : 'bare AMQP request/reply (broker floor)',
  async start(runtime) {
    const prefix = `benchamqp${tag}${hex()}`;
    const mimic: Record<string, string> = guarantees ? { BENCH_AMQP_MIMIC: GUARANTEES } : {};
    const worker = spawnChild('amqp worker', runtime, 'bench/servers/amqp-worker.ts', { BENCH_PREFIX: prefix, WORKER_CONCURRENCY: '128', ...mimic });
    await ready(worker);
    return {
      url: '',
      pids: { worker: worker.pid, ...brokerPid('beam.smp') },
      client: { file: 'bench/clients/amqp.ts', env: { BENCH_PREFIX: prefix, ...mimic } },
      async close() {
        await worker.stop();
        await deleteQueues([requestQueue(prefix, 'echo'), requestQueue(prefix, 'stream')], [`${prefix}.requests`, `${prefix}.dead`]).catch(() => {});
      },
    };
  },
});

const bullmqRelay: System = {
  id: 'bullmq',
  label: 'BullMQ + Socket.IO relay (peer)',
  async start(runtime) {
    const prefix = `benchbull${tag}${hex()}`;
    const worker = spawnChild('bullmq worker', runtime, 'bench/servers/bullmq-worker.ts', { BENCH_PREFIX: prefix, WORKER_CONCURRENCY: '128' });
    await ready(worker);
    const gateway = spawnChild('bullmq gateway', runtime, 'bench/servers/bullmq-gateway.ts', { BENCH_PREFIX: prefix });
    const { url } = await ready(gateway);
    return {
      url: String(url),
      pids: { gateway: gateway.pid, worker: worker.pid, ...brokerPid('redis-server') },
      client: { file: 'bench/clients/socket.ts', env: {} },
      async close() {
        await Promise.all([gateway.stop(), worker.stop()]);
        await obliterateQueues([queueName(prefix, 'echo', false), queueName(prefix, 'echo', true), queueName(prefix, 'stream', false)]).catch(() => {});
      },
    };
  },
};

/**
 * The simplest relay with no guarantees: what a Socket.IO → RabbitMQ hop
 * costs before durability (issue 16). `durable`: the same relay with
 * Warren's broker guarantees and nothing else of Warren's (confirms, quorum
 * queues, acks; bench/lib/naive-relay.ts), the floor of a durable relay.
 */
const naiveRelay = (durable: boolean): System => ({
  id: durable ? 'naive-durable' : 'naive',
  label: durable ? 'naive relay made durable (confirms, quorum queues, acks)' : 'naive Socket.IO → AMQP relay (no guarantees)',
  async start(runtime) {
    const prefix = `benchnaive${tag}${hex()}`;
    const env = { BENCH_PREFIX: prefix, ...(durable ? { NAIVE_DURABLE: '1' } : {}) };
    const worker = spawnChild('naive worker', runtime, 'bench/servers/naive-worker.ts', env);
    await ready(worker);
    const gateway = spawnChild('naive gateway', runtime, 'bench/servers/naive-gateway.ts', env);
    const { url } = await ready(gateway);
    return {
      url: String(url),
      pids: { gateway: gateway.pid, worker: worker.pid, ...brokerPid('beam.smp') },
      client: { file: 'bench/clients/socket.ts', env: {} },
      async close() {
        await Promise.all([gateway.stop(), worker.stop()]);
        await deleteQueues([naiveQueue(prefix, 'echo'), naiveQueue(prefix, 'stream')], [naiveExchange(prefix)]).catch(() => {});
      },
    };
  },
});

const before = process.env.BENCH_BEFORE_ROOT;
export const SYSTEMS: System[] = [
  warren('bun'),
  ...(before ? [warren('bun', before)] : []),
  warren('node'),
  warren('bun', undefined, true),
  warrenFast(),
  ...(before ? [warrenFast(before)] : []),
  warrenPython(),
  ...(process.env.BENCH_PY_BEFORE ? [warrenPython(process.env.BENCH_PY_BEFORE)] : []),
  socketFloor,
  amqpFloor(false),
  amqpFloor(true),
  naiveRelay(false),
  naiveRelay(true),
  bullmqRelay,
];
