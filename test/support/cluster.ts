// A private RabbitMQ cluster on loopback for cluster tests: its own node
// names, ports, data, logs and Erlang cookie under one temporary directory.
// It never touches the default node (rabbit@localhost on 5672), and it
// removes everything it started whatever happens: close(), a process 'exit'
// hook, and a watchdog shell that outlives a SIGKILLed test process.
import { execFile, spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { isAlive } from '../../scripts/launch.mjs';

export const RABBIT_BIN = '/usr/lib/rabbitmq/bin';
export const rabbitInstalled = () => existsSync(join(RABBIT_BIN, 'rabbitmq-server'));

export interface ClusterNode {
  index: number;
  name: string;
  amqpPort: number;
  distPort: number;
  url: string;
  dir: string;
  env: Record<string, string>;
}

export interface Cluster {
  dir: string;
  nodes: ClusterNode[];
  urls: string[];
  /** rabbitmqctl -n <node i> …; resolves with stdout, rejects with stderr. */
  ctl(i: number, ...args: string[]): Promise<string>;
  /** rabbitmq-queues -n <node i> … */
  queues(i: number, ...args: string[]): Promise<string>;
  stopApp(i: number): Promise<void>;
  startApp(i: number): Promise<void>;
  /** SIGKILL the node's Erlang VM by the pid from its own pid file. */
  kill9(i: number): Promise<void>;
  /** Starts a killed node again with the same environment and waits for it. */
  restart(i: number): Promise<void>;
  /** Whether node i answers and runs the rabbit app. */
  running(i: number): Promise<boolean>;
  /** Index of the node leading a quorum queue (asked of any running node). */
  queueLeader(queue: string): Promise<number>;
  /** Online members of a quorum queue, as node indexes. */
  queueOnline(queue: string): Promise<number[]>;
  /** Node index of each client connection whose connection_name starts with the prefix. */
  connectionNodes(prefix: string): Promise<number[]>;
  /** The same for several prefixes from one query: one list per prefix. */
  connectionsByPrefix(prefixes: string[]): Promise<number[][]>;
  /** Brings every node back (restart or start_app) and waits until all run. */
  heal(): Promise<void>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

const run = (cmd: string, args: string[], env: Record<string, string>, timeoutMs = 60_000) =>
  new Promise<string>((resolve, reject) => {
    execFile(cmd, args, { env, timeout: timeoutMs, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error)
        reject(
          new Error(
            `${cmd.split('/').pop()} ${args.join(' ')}: ${String(stderr || error.message)
              .trim()
              .slice(0, 2000)}`,
          ),
        );
      else resolve(stdout);
    });
  });

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const pidOf = (node: ClusterNode): number | null => {
  try {
    const pid = Number(readFileSync(node.env.RABBITMQ_PID_FILE!, 'utf8').trim());
    return pid > 0 ? pid : null;
  } catch {
    return null;
  }
};

// Only what the node needs from our environment: RabbitMQ and Erlang settings
// of the machine's default node (ERL_FLAGS, RABBITMQ_*) must not leak in.
const baseEnv = (): Record<string, string> => ({
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  LANG: 'C.UTF-8',
  LC_ALL: 'C.UTF-8',
});

const makeNode = (dir: string, prefix: string, index: number, amqpPort: number, distPort: number, ctlPorts: number): ClusterNode => {
  const nodeDir = join(dir, `n${index + 1}`);
  const home = join(nodeDir, 'home');
  for (const d of [nodeDir, home, join(nodeDir, 'mnesia'), join(nodeDir, 'log')]) mkdirSync(d, { recursive: true });
  const name = `${prefix}${index + 1}@localhost`;
  writeFileSync(join(nodeDir, 'rabbitmq-env.conf'), 'ERL_EPMD_ADDRESS=127.0.0.1\n');
  writeFileSync(join(nodeDir, 'enabled_plugins'), '[].\n');
  writeFileSync(
    join(nodeDir, 'rabbitmq.conf'),
    [
      `listeners.tcp.default = 127.0.0.1:${amqpPort}`,
      // guest may connect from loopback only (the default), which is all we use.
      'loopback_users.guest = true',
      'log.file.level = info',
      'log.console = false',
      // Four brokers share a small machine: keep the alarms out of the way.
      'vm_memory_high_watermark.absolute = 1GB',
      'disk_free_limit.absolute = 50MB',
      '',
    ].join('\n'),
  );
  writeFileSync(join(nodeDir, 'advanced.config'), '[].\n');
  const env: Record<string, string> = {
    ...baseEnv(),
    HOME: home,
    RABBITMQ_NODENAME: name,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(amqpPort),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(nodeDir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(nodeDir, 'log'),
    RABBITMQ_PID_FILE: join(nodeDir, 'pid'),
    RABBITMQ_CONFIG_FILE: join(nodeDir, 'rabbitmq.conf'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(nodeDir, 'advanced.config'),
    RABBITMQ_CONF_ENV_FILE: join(nodeDir, 'rabbitmq-env.conf'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(nodeDir, 'enabled_plugins'),
    RABBITMQ_PLUGINS_EXPAND_DIR: join(nodeDir, 'plugins-expand'),
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    // Our CLI calls get their own distribution ports, apart from other users'.
    RABBITMQ_CTL_DIST_PORT_MIN: String(ctlPorts),
    RABBITMQ_CTL_DIST_PORT_MAX: String(ctlPorts + 40),
    ERL_EPMD_ADDRESS: '127.0.0.1',
  };
  return { index, name, amqpPort, distPort, url: `amqp://guest:guest@127.0.0.1:${amqpPort}`, dir: nodeDir, env };
};

// A range of `count` consecutive free ports at a random base, so parallel runs do not collide.
const portRange = async (count: number): Promise<number> => {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 9_000) * 2;
    const ports = Array.from({ length: count }, (_, i) => base + i);
    const free = await Promise.all(
      ports.map(
        (port) =>
          new Promise<boolean>((resolve) => {
            const server = createServer();
            server.once('error', () => resolve(false));
            server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
          }),
      ),
    );
    if (free.every(Boolean)) return base;
  }
  return freePort();
};

export const startCluster = async ({
  size = 3,
  prefix = `wclu${randomBytes(3).toString('hex')}n`,
  log = (_: string) => {},
}: {
  size?: number;
  prefix?: string;
  log?: (line: string) => void;
} = {}): Promise<Cluster> => {
  const dir = mkdtempSync(join(tmpdir(), 'warren-cluster-'));
  const cookie = randomBytes(20).toString('hex').toUpperCase();
  const base = await portRange(2 * size + 41);
  const nodes = Array.from({ length: size }, (_, i) => makeNode(dir, prefix, i, base + i, base + size + i, base + 2 * size));
  for (const node of nodes) {
    const file = join(node.env.HOME!, '.erlang.cookie');
    writeFileSync(file, cookie);
    chmodSync(file, 0o600);
  }

  let closed = false;
  // Synchronous, so it can run in an 'exit' hook: SIGKILL every node by its
  // own pid file and remove the directory.
  const destroy = () => {
    if (closed) return;
    closed = true;
    for (const node of nodes) {
      const pid = pidOf(node);
      if (pid && isAlive(pid)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    // For diagnosis, WARREN_CLUSTER_KEEP_LOGS=<dir> keeps the nodes' logs.
    const keep = process.env.WARREN_CLUSTER_KEEP_LOGS;
    if (keep) {
      for (const node of nodes) {
        try {
          cpSync(node.env.RABBITMQ_LOG_BASE!, join(keep, node.name), { recursive: true });
        } catch {
          // nothing to keep
        }
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const onExit = () => destroy();
  const onSignal = (signal: NodeJS.Signals) => {
    destroy();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('exit', onExit);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // If this process dies without running hooks (SIGKILL), the watchdog kills
  // the nodes by their pid files and removes the directory.
  const watchdog = spawn(
    '/bin/sh',
    [
      '-c',
      `while kill -0 ${process.pid} 2>/dev/null && [ -d "${dir}" ]; do sleep 2; done; ` +
        `for f in "${dir}"/n*/pid; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null; done; rm -rf "${dir}"`,
    ],
    { detached: true, stdio: 'ignore' },
  );
  watchdog.unref();

  const bin = (tool: string) => join(RABBIT_BIN, tool);
  const ctlOn = (i: number, tool: string, args: string[], timeoutMs?: number) => run(bin(tool), ['-n', nodes[i]!.name, ...args], nodes[i]!.env, timeoutMs);
  const ctl = (i: number, ...args: string[]) => ctlOn(i, 'rabbitmqctl', args);

  const awaitStartup = async (i: number, timeoutMs = 90_000) => {
    const until = Date.now() + timeoutMs;
    // await_startup fails at once until the node has registered with epmd.
    for (;;) {
      try {
        await ctlOn(i, 'rabbitmqctl', ['await_startup', '--timeout', '60'], 70_000);
        return;
      } catch (error) {
        if (Date.now() > until) throw new Error(`node ${nodes[i]!.name} did not start: ${(error as Error).message}\n${tailLog(i)}`);
        await sleep(500);
      }
    }
  };

  const tailLog = (i: number) => {
    try {
      const logDir = nodes[i]!.env.RABBITMQ_LOG_BASE!;
      return readdirSync(logDir)
        .map((f) => readFileSync(join(logDir, f), 'utf8').split('\n').slice(-15).join('\n'))
        .join('\n')
        .slice(-3000);
    } catch {
      return '';
    }
  };

  const launch = async (i: number) => {
    rmSync(nodes[i]!.env.RABBITMQ_PID_FILE!, { force: true });
    await run(bin('rabbitmq-server'), ['-detached'], nodes[i]!.env, 30_000);
    await awaitStartup(i);
    // The pid file is how we kill it later; insist on it.
    if (!pidOf(nodes[i]!)) {
      const pid = (await ctl(i, 'eval', 'os:getpid().')).trim().replace(/"/g, '');
      writeFileSync(nodes[i]!.env.RABBITMQ_PID_FILE!, pid);
    }
  };

  const running = async (i: number) => {
    try {
      const out = await ctlOn(i, 'rabbitmqctl', ['eval', 'rabbit:is_running().'], 15_000);
      return out.trim() === 'true';
    } catch {
      return false;
    }
  };

  // A query answered by the first node that can (one CLI run when node 1 is up).
  const askAny = async (...args: string[]) => {
    let last: unknown;
    for (let i = 0; i < nodes.length; i++) {
      try {
        return await ctlOn(i, 'rabbitmqctl', args, 30_000);
      } catch (error) {
        last = error;
      }
    }
    throw new Error(`no cluster node answered: ${(last as Error)?.message}`);
  };

  const nodeIndex = (text: string) => nodes.findIndex((n) => text.includes(n.name));

  const cluster: Cluster = {
    dir,
    nodes,
    urls: nodes.map((n) => n.url),
    ctl,
    queues: (i, ...args) => ctlOn(i, 'rabbitmq-queues', args),
    async stopApp(i) {
      await ctl(i, 'stop_app');
    },
    async startApp(i) {
      await ctl(i, 'start_app');
      await awaitStartup(i);
    },
    async kill9(i) {
      const pid = pidOf(nodes[i]!);
      if (!pid) throw new Error(`no pid file for ${nodes[i]!.name}`);
      process.kill(pid, 'SIGKILL');
      const until = Date.now() + 10_000;
      while (isAlive(pid) && Date.now() < until) await sleep(50);
    },
    async restart(i) {
      await launch(i);
    },
    running,
    async queueLeader(queue) {
      // Quorum queues name a leader; a classic queue's home is its pid's node.
      const out = await askAny('list_queues', '--quiet', '--no-table-headers', 'name', 'pid', 'leader');
      for (const line of out.split('\n')) {
        const [name, pid, leader] = line.split('\t').map((s) => s.trim());
        if (name === queue) return nodeIndex(leader || pid || '');
      }
      return -1;
    },
    async queueOnline(queue) {
      const out = await askAny('list_queues', '--quiet', '--no-table-headers', 'name', 'online');
      for (const line of out.split('\n')) {
        const [name, online] = line.split('\t').map((s) => s.trim());
        if (name === queue) return nodes.map((n, i) => ((online ?? '').includes(n.name) ? i : -1)).filter((i) => i >= 0);
      }
      return [];
    },
    async connectionNodes(prefix) {
      return (await cluster.connectionsByPrefix([prefix]))[0]!;
    },
    async connectionsByPrefix(prefixes) {
      const out = await askAny('list_connections', '--quiet', '--no-table-headers', 'pid', 'client_properties');
      const found: number[][] = prefixes.map(() => []);
      for (const line of out.split('\n')) {
        prefixes.forEach((prefix, k) => {
          // The pid names the node: <wclu…1@localhost.1.2.3>.
          if (line.includes(`"${prefix}`)) found[k]!.push(nodeIndex(line.split(/\s+/)[0] ?? ''));
        });
      }
      return found;
    },
    async heal() {
      for (let i = 0; i < nodes.length; i++) {
        if (await running(i)) continue;
        const pid = pidOf(nodes[i]!);
        if (pid && isAlive(pid)) await cluster.startApp(i);
        else await launch(i);
      }
    },
    async close() {
      process.off('exit', onExit);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      destroy();
    },
    [Symbol.asyncDispose]: () => cluster.close(),
  };

  try {
    log(`starting ${size} nodes ${nodes.map((n) => `${n.name}:${n.amqpPort}`).join(', ')} in ${dir}`);
    await Promise.all(nodes.map((_, i) => launch(i)));
    for (let i = 1; i < nodes.length; i++) {
      await ctl(i, 'stop_app');
      await ctl(i, 'join_cluster', nodes[0]!.name);
      await cluster.startApp(i);
    }
    log('cluster formed');
    return cluster;
  } catch (error) {
    await cluster.close();
    throw error;
  }
};
