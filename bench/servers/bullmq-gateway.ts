// The BullMQ relay's gateway: the pattern most Socket.IO + job-queue apps
// use. A `call` becomes queue.add(); QueueEvents `progress` events carry
// chunks (job.updateProgress) and `completed` carries the result, relayed to
// the socket that asked. Jobs are removed on completion.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue, QueueEvents } from 'bullmq';
import { Server, type Socket } from 'socket.io';
import { serveUntilStdinCloses } from '../lib/child.ts';
import { EVENTS_MAX_LEN, LARGE_BYTES, queueName, REDIS } from '../lib/bullmq-relay.ts';

const prefix = process.env.BENCH_PREFIX ?? 'benchbull';
const calls = new Map<string, { socket: Socket; ack: (answer: unknown) => void }>();
const queues = new Map<string, Queue>();
const queueFor = (name: string, large: boolean) => {
  let queue = queues.get(name);
  if (!queue) {
    queue = new Queue(name, { connection: REDIS, streams: { events: { maxLen: large ? EVENTS_MAX_LEN.large : EVENTS_MAX_LEN.small } } });
    queues.set(name, queue);
  }
  return queue;
};
const parse = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value);

for (const [op, large] of [
  ['echo', false],
  ['echo', true],
  ['stream', false],
] as const) {
  const name = queueName(prefix, op, large);
  queueFor(name, large);
  const events = new QueueEvents(name, { connection: REDIS });
  events.on('progress', ({ jobId, data }) => calls.get(jobId)?.socket.emit('chunk', data));
  events.on('completed', ({ jobId, returnvalue }) => {
    const call = calls.get(jobId);
    if (!call) return;
    calls.delete(jobId);
    call.ack({ ok: true, result: parse(returnvalue) });
  });
  events.on('failed', ({ jobId, failedReason }) => {
    const call = calls.get(jobId);
    if (!call) return;
    calls.delete(jobId);
    call.ack({ ok: false, error: failedReason });
  });
  await events.waitUntilReady();
}

let next = 0;
const http = createServer();
const io = new Server(http, { maxHttpBufferSize: 2 * 1024 * 1024, serveClient: false });
io.on('connection', (socket) => {
  socket.on('call', (frame: { op: string; payload: unknown }, ack: (answer: unknown) => void) => {
    const large = frame.op === 'echo' && JSON.stringify(frame.payload).length > LARGE_BYTES;
    const jobId = `${process.pid}-${next++}`;
    calls.set(jobId, { socket, ack });
    queueFor(queueName(prefix, frame.op, large), large)
      .add(frame.op, frame.payload, { jobId, removeOnComplete: true, removeOnFail: true })
      .catch((error: Error) => {
        calls.delete(jobId);
        ack({ ok: false, error: error.message });
      });
  });
});
http.listen(0, '127.0.0.1', () => serveUntilStdinCloses({ url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` }));
