// Issue 15, "a cancel that cannot be lost", on real RabbitMQ: a request
// accepted while no worker runs is cancelled; a worker started afterwards
// (Node, then Python) answers it CANCELLED and never runs its handler, and
// the queue is empty afterwards; and a worker whose connection was down when
// the cancel went out reads the stream again once reconnected. The cancel
// reached it through the stream ns.cancels: ns.control only reaches workers
// that are alive and connected.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect, type Channel, type ChannelModel } from 'amqplib';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend, createMemorySessionStore, type Backend } from '@warren/client';
import { topology } from '@warren/protocol';
import { createAmqpTransport } from '@warren/transport';
import { registerHandlers, type WorkerHandle } from '@warren/worker';
import { isReady, killAll, startGateway, startPython, type Proc } from '../support/processes.ts';
import { AMQP_URL, deleteNamespace, uniqueNamespace } from '../support/rabbit.ts';

const namespace = uniqueNamespace('dcancel');
const topo = topology(namespace);
const TYPE = 'dc.job';
const queue = topo.requestQueue(TYPE);
const workers: WorkerHandle[] = [];
let gateway: Proc;
let backend: Backend;
let runs = 0;
/** The id the client gives its next request (createId), so the test can follow it in the logs. */
let nextId = '';
let broker: ChannelModel;
let probe: Channel;
/** Requests ready in the queue, from the broker itself (rabbitmqctl's figures lag by seconds). */
const ready = async () => (await probe.checkQueue(queue)).messageCount;
const CANCELLED_LINE = 'cancelled before delivery; not running the handler';

const waitUntil = async (check: () => boolean | Promise<boolean>, ms: number, what: string) => {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`${what} did not happen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
};
const nodeWorker = async (transport?: Awaited<ReturnType<typeof createAmqpTransport>>) => {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const handle = await registerHandlers(
    { service: 'durable-cancel-node', url: AMQP_URL, namespace, log, announce: false, ...(transport ? { transport } : {}) },
    {
      [TYPE]: () => {
        runs += 1;
        return 'ran';
      },
    },
  );
  workers.push(handle);
  return { handle, lines };
};
/** Sends a request nobody serves right now, waits until it is in its queue, cancels it, and waits until the gateway forwarded the cancel. */
const requestThenCancel = async () => {
  const controller = new AbortController();
  nextId = `dc-${randomBytes(4).toString('hex')}`;
  const call = backend.makeBackendRequest(TYPE, { n: 1 }, { signal: controller.signal, timeoutMs: 120_000 });
  const outcome = call.then(
    () => 'resolved',
    (error: { code?: string }) => error.code,
  );
  await waitUntil(async () => (await ready()) === 1, 10_000, 'the request reaching its queue');
  const id = nextId;
  const forwarded = gateway.waitFor((line) => line.msg === 'cancel forwarded' && line.requestId === id, 10_000);
  controller.abort();
  // The client answers CANCELLED at once, as always.
  expect(await outcome).toBe('CANCELLED');
  await forwarded;
  nextId = '';
  return id;
};
/** The records of the cancel stream, read from its start. */
const streamRecords = async () => {
  const model = await connect(AMQP_URL);
  try {
    const ch = await model.createChannel();
    await ch.prefetch(100);
    const records: { body: Record<string, unknown>; type: unknown }[] = [];
    await ch.consume(
      topo.cancelStream,
      (message) => {
        if (!message) return;
        records.push({ body: JSON.parse(message.content.toString()), type: message.properties.type });
        ch.ack(message);
      },
      { arguments: { 'x-stream-offset': 'first' } },
    );
    await new Promise((r) => setTimeout(r, 500));
    await ch.close();
    return records;
  } finally {
    await model.close();
  }
};

beforeAll(async () => {
  broker = await connect(AMQP_URL);
  probe = await broker.createChannel();
  gateway = (await startGateway('bun', namespace)).proc;
  const url = String((await gateway.waitFor((line) => line.event === 'ready')).url);
  backend = createBackend({ url, sessionStore: createMemorySessionStore(), createId: () => nextId || `dc-${randomBytes(4).toString('hex')}` });
  // A worker declared the queue once, then went away: requests are accepted and wait.
  await (await nodeWorker()).handle.close();
  workers.length = 0;
});

afterAll(async () => {
  backend?.close();
  await broker?.close();
  await Promise.all(workers.map((w) => w.close()));
  await killAll();
  await deleteNamespace(namespace);
});

describe('a cancel sent while no worker runs', () => {
  it('is kept in the cancel stream as {id, session, type, at}', async () => {
    const before = Date.now();
    const id = await requestThenCancel();
    const record = (await streamRecords()).find((r) => r.body.id === id);
    expect(record).toEqual({ type: TYPE, body: { id, session: expect.any(String), type: TYPE, at: expect.any(Number) } });
    expect(record!.body.at as number).toBeGreaterThanOrEqual(before - 1000);
    // Leave the queue empty for the next case: a Node worker answers it (and must not run it either).
    const { handle, lines } = await nodeWorker();
    await waitUntil(() => lines.some((l) => l.requestId === id && l.msg === CANCELLED_LINE), 5_000, 'the worker saying it skipped the request');
    await handle.close();
    expect(await ready()).toBe(0); // acked: a closed worker hands back what it did not ack
    expect(runs).toBe(0);
  });

  it('Node: the worker started afterwards answers CANCELLED and never runs the handler; the queue is empty', async () => {
    const id = await requestThenCancel();
    const { handle, lines } = await nodeWorker();
    await waitUntil(() => lines.some((l) => l.requestId === id && l.msg === CANCELLED_LINE), 5_000, 'the worker saying it skipped the request');
    // Its own marker came back: it did not start on the timeout.
    expect(lines.some((l) => /marker/.test(String(l.msg)))).toBe(false);
    expect(runs).toBe(0);
    // It serves: a request nobody cancelled runs.
    expect(await backend.makeBackendRequest(TYPE, {})).toBe('ran');
    expect(runs).toBe(1);
    await handle.close();
    expect(await ready()).toBe(0);
    runs = 0;
  });

  it('Python: the worker started afterwards answers CANCELLED and never runs the handler; the queue is empty', async () => {
    const id = await requestThenCancel();
    const python = startPython('test/integration/workers/durable_cancel_worker.py', { WARREN_NAMESPACE: namespace });
    await python.waitFor(isReady, 20_000);
    // The SDK's own words for it (a behaviour, not readiness): the log line that names the request.
    const skipped = new RegExp(`cancelled before delivery.*${id}|${id}.*cancelled before delivery`);
    await python.waitFor((line) => typeof line.msg === 'string' && skipped.test(line.msg), 5_000);
    expect(python.output()).not.toContain(`dc.job ran ${id}`);
    expect(python.output()).not.toMatch(/marker/);
    expect(await backend.makeBackendRequest(TYPE, {})).toBe('ran');
    // Its log line comes through a pipe, maybe after the answer came through the gateway.
    await python.waitFor((line) => typeof line.msg === 'string' && /dc\.job ran /.test(line.msg), 5_000);
    await python.kill();
    expect(await ready()).toBe(0);
  });

  it('Node: after a reconnect it reads the stream again, so a cancel sent while its connection was down is honoured', async () => {
    // Its own connection, reconnecting slowly (2–4 s), so the test can act while it is down.
    const connectionName = `dcancel-${randomBytes(4).toString('hex')}`;
    const transport = await createAmqpTransport({ url: AMQP_URL, namespace, connectionName, backoff: { initialDelayMs: 4000, maxDelayMs: 4000 } });
    const { handle, lines } = await nodeWorker(transport);
    const down = new Promise<void>((resolve) => transport.onStatus((status) => status === 'reconnecting' && resolve()));
    const pid = execFileSync('rabbitmqctl', ['list_connections', '-q', '--no-table-headers', 'pid', 'client_properties'], { encoding: 'utf8' })
      .split('\n')
      .find((line) => line.includes(`{"connection_name","${connectionName}"}`))
      ?.split('\t')[0];
    expect(pid).toBeDefined();
    execFileSync('rabbitmqctl', ['close_connection', pid!, 'durable-cancel test']);
    await down;
    // ns.control has nobody to give it to now (the worker's exclusive queue went with its connection).
    const id = await requestThenCancel();
    await waitUntil(() => lines.some((l) => l.requestId === id && l.msg === CANCELLED_LINE), 15_000, 'the worker saying it skipped the request');
    expect(runs).toBe(0);
    await handle.close();
    await transport.close();
    expect(await ready()).toBe(0);
  });
});
