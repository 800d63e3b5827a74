// What a retained call costs next to a plain one, in one run on this
// machine: `npx tsx bench/retained-calls.ts [calls=200]`. One gateway and one
// echo worker in this process on the local RabbitMQ, one raw Socket.IO
// client sending calls one after another (closed loop, C=1): unkeyed, then
// keyed (each a new key: lock, passive declare, quorum queue declare, then
// the call), then attach-only to calls already finished (replay). Prints
// markdown; its own namespace, deleted at the end. `REPLY_QUEUE_TYPE=classic`
// measures classic call (and reply) queues instead of quorum ones.
import { createHash, randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { io } from 'socket.io-client';
import { createGateway } from '@warren/gateway';
import { DEFAULT_AMQP_URL } from '@warren/protocol';
import { registerHandlers } from '@warren/worker';
import { deleteQueues } from './lib/cleanup.ts';

const calls = Number(process.argv[2] ?? 200);
const url = process.env.AMQP_URL ?? DEFAULT_AMQP_URL;
const namespace = `benchcalls${randomBytes(3).toString('hex')}`;
const log = pino({ level: 'warn' });

const replyQueueType = process.env.REPLY_QUEUE_TYPE === 'classic' ? 'classic' : 'quorum';
const gateway = await createGateway({ url, namespace, port: 0, host: '127.0.0.1', log, queuePositionIntervalMs: 1_000, replyQueueType });
const worker = await registerHandlers({ service: 'bench', url, namespace, log, announce: false, concurrency: 8 }, { echo: async (p: unknown) => p });
const socket = io(gateway.url, { transports: ['websocket'], reconnection: false });
const { sessionId } = await new Promise<{ sessionId: string }>((resolve) => socket.once('session', resolve));

const finals = new Map<string, () => void>();
socket.on('response', (r: { id: string; kind: string }, ack: () => void) => {
  ack();
  if (r.kind !== 'chunk') finals.get(r.id)?.();
});
const call = (frame: Record<string, unknown>) =>
  new Promise<void>((resolve, reject) => {
    finals.set(frame.id as string, resolve);
    socket.emit('request', frame, (ack: { ok: boolean; error?: { code: string } }) => {
      if (!ack.ok) reject(new Error(ack.error?.code));
    });
  });

const run = async (label: string, frameOf: (i: number) => Record<string, unknown>) => {
  const ms: number[] = [];
  const started = performance.now();
  for (let i = 0; i < calls; i++) {
    const t = performance.now();
    await call(frameOf(i));
    ms.push(performance.now() - t);
  }
  const total = performance.now() - started;
  ms.sort((a, b) => a - b);
  return { label, perSec: (calls / total) * 1000, p50: ms[Math.floor(ms.length / 2)]!, p99: ms[Math.floor(ms.length * 0.99)]! };
};

// Warm-up: connections, queues, JIT.
for (let i = 0; i < 20; i++) await call({ id: `w${i}`, type: 'echo', payload: i });
const plain = await run('unkeyed', (i) => ({ id: `p${i}`, type: 'echo', payload: i }));
const keyed = await run('keyed (new key each)', (i) => ({ id: `k${i}`, type: 'echo', payload: i, key: `key-${i}` }));
const replay = await run('attach to a finished call (replay)', (i) => ({ id: `a${i}`, type: 'echo', payload: i, key: `key-${i}`, attach: true }));

const rows = [plain, keyed, replay].map(
  (r) => `| ${r.label} | ${r.perSec.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${(plain.p50 === r.p50 ? 1 : r.p50 / plain.p50).toFixed(2)}× |`,
);
console.log(`## Retained calls, ${calls} sequential calls (C=1), ${replyQueueType} queues, ${new Date().toISOString().slice(0, 16)}Z\n`);
console.log('| calls | per second | p50 ms | p99 ms | p50 ÷ unkeyed |\n| --- | --- | --- | --- | --- |');
console.log(rows.join('\n'));

socket.close();
await worker.close();
await gateway.close();
// Every call queue of the run (the call id rule of packages/protocol/spec/v1/protocol.md), then the namespace's own.
const callQueue = (key: string) =>
  `${namespace}.call.${createHash('sha256').update(`${namespace}\u0000session:${sessionId}\u0000${key}`).digest('base64url').slice(0, 32)}`;
await deleteQueues(
  [
    ...Array.from({ length: calls }, (_, i) => callQueue(`key-${i}`)),
    `${namespace}.req.echo`,
    `${namespace}.reply.${sessionId}`,
    `${namespace}.dead`,
    `${namespace}.cancels`,
  ],
  ['requests', 'control', 'registry', 'dead'].map((suffix) => `${namespace}.${suffix}`),
);
