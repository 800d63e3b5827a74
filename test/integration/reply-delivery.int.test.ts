// Answers on real RabbitMQ where a cluster puts them at risk: a list of broker
// URLs with a dead node in it, quorum reply queues, and responses published
// `mandatory` so one that no queue takes is retried and then reported
// undeliverable instead of being confirmed and dropped.
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { Response } from '@warren/protocol';
import { createAmqpTransport, type AmqpTransport } from '@warren/transport';
import { registerHandlers, type WorkerHandle } from '@warren/worker';
import { AMQP_URL, deleteNamespace, readQueueDepths, uniqueNamespace } from '../support/rabbit.ts';
import { waitFor, waitUntil } from '../support/wait.ts';

const namespace = uniqueNamespace('reply');
const DEAD_NODE = 'amqp://guest:guest@127.0.0.1:1';
const transports: AmqpTransport[] = [];
const workers: WorkerHandle[] = [];
const lines: Array<Record<string, unknown>> = [];
const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });

const transport = async (url: string | string[] = AMQP_URL) => {
  const t = await createAmqpTransport({ url, namespace, connectTimeoutMs: 5_000 });
  transports.push(t);
  return t;
};

afterAll(async () => {
  await Promise.all(workers.map((w) => w.close()));
  await Promise.all(transports.map((t) => t.close()));
  await deleteNamespace(namespace);
});

describe('reply delivery on RabbitMQ', () => {
  it('connects through a list of broker URLs whose first node is down, whichever node it starts at', async () => {
    for (let i = 0; i < 4; i++) {
      const started = Date.now();
      const t = await transport([DEAD_NODE, AMQP_URL]);
      expect(t.status()).toBe('connected');
      expect(Date.now() - started).toBeLessThan(2_000);
    }
    // The same list as one comma-separated string, as AMQP_URL carries it.
    expect((await transport(`${DEAD_NODE}, ${AMQP_URL}`)).status()).toBe('connected');
  });

  it('declares session reply queues as quorum queues, so a cluster replicates them', async () => {
    const t = await transport();
    const sub = await t.consumeReplies('quorumcheck00000001', () => {}, { prefetch: 1 });
    const out = execFileSync('rabbitmqctl', ['list_queues', '-q', '--no-table-headers', 'name', 'type'], { encoding: 'utf8' });
    const line = out.split('\n').find((l) => l.startsWith(`${namespace}.reply.quorumcheck00000001`));
    expect(line?.trim().split(/\s+/)[1]).toBe('quorum');
    await sub.close();
  });

  it('declares classic reply queues when a single-node deployment asks for them (replyQueueType)', async () => {
    const t = await createAmqpTransport({ url: AMQP_URL, namespace, replyQueueType: 'classic' });
    transports.push(t);
    const sub = await t.consumeReplies('classiccheck0000001', () => {}, { prefetch: 1 });
    const out = execFileSync('rabbitmqctl', ['list_queues', '-q', '--no-table-headers', 'name', 'type'], { encoding: 'utf8' });
    const line = out.split('\n').find((l) => l.startsWith(`${namespace}.reply.classiccheck0000001`));
    expect(line?.trim().split(/\s+/)[1]).toBe('classic');
    await sub.close();
  });

  it('reports a response to a session without a reply queue as unroutable, and one with a queue as delivered', async () => {
    const t = await transport();
    const response: Response = { kind: 'result', id: 'x', seq: 0, attempt: 1, data: 1 };
    expect(await t.publishResponse('nosuchsession0001', response)).toBe('unroutable');
    const sub = await t.consumeReplies('hasqueue000000001', (_r, settle) => settle(), { prefetch: 1 });
    expect(await t.publishResponse('hasqueue000000001', response)).toBe('delivered');
    await sub.close();
  });

  it('delivers an answer whose reply queue is declared while the worker retries the route', async () => {
    const gateway = await transport();
    workers.push(await registerHandlers({ service: 'late', url: AMQP_URL, namespace, log, announce: false }, { 'late.echo': async (p: unknown) => p }));
    await gateway.publishRequest({ id: 'late-1', type: 'late.echo', payload: { hello: 1 }, session: 'latesession000001', deadline: Date.now() + 10_000 });
    // The worker answers at once, before the session has a queue: returned, retried.
    await new Promise((r) => setTimeout(r, 400));
    const got: Response[] = [];
    await gateway.consumeReplies(
      'latesession000001',
      (r, settle) => {
        got.push(r);
        settle();
      },
      { prefetch: 10 },
    );
    expect(await waitFor(() => got.length > 0, 3_000)).toBe(true);
    expect(got[0]).toMatchObject({ kind: 'result', id: 'late-1', data: { hello: 1 } });
  });

  it('acks a request whose answer has no recipient, logs it undeliverable and never ok', async () => {
    const gateway = await transport();
    let runs = 0;
    workers.push(
      await registerHandlers(
        { service: 'gone', url: AMQP_URL, namespace, log, announce: false },
        {
          'gone.echo': async (p: unknown) => {
            runs += 1;
            return p;
          },
        },
      ),
    );
    await gateway.publishRequest({ id: 'gone-1', type: 'gone.echo', payload: 1, session: 'gonesession000001', deadline: Date.now() + 1_500 });
    const mine = () => lines.filter((l) => l.requestId === 'gone-1');
    expect(await waitFor(() => mine().some((l) => l.outcome === 'undeliverable'), 5_000)).toBe(true);
    expect(mine().some((l) => l.outcome === 'ok')).toBe(false);
    expect(runs).toBe(1);
    // Acked: nothing waits in the request queue, nothing is redelivered.
    expect(await waitUntil(async () => ((await readQueueDepths(namespace))[`${namespace}.req.gone.echo`] ?? 0) === 0, 3_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(runs).toBe(1);
  });
});
