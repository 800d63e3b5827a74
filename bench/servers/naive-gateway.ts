// The naive relay's gateway: a `call` is published to a direct exchange
// (routing key = op) with a reply queue as reply_to; replies are relayed to
// the socket that asked, the result in the call's ack.
//
// With no guarantees: one exclusive reply queue for the process, auto-ack,
// nothing persistent or confirmed; what a crash or a full socket loses is
// lost. It is the floor a relay pays before any guarantee.
//
// Made durable (NAIVE_DURABLE=1): a quorum reply queue per socket (Warren
// has one per session), requests persistent and confirmed (a nack answers
// the call with an error), replies acked once written to the socket — one
// cumulative ack per loop turn, cheaper than Warren's (after the browser's
// ack). Nothing else: no validation, deadlines, cancels, re-sends, logs.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ConsumeMessage, connect } from 'amqplib';
import { Server, type Socket } from 'socket.io';
import { report, serveUntilStdinCloses } from '../lib/child.ts';
import { AMQP_URL, DURABLE_REPLY_ARGS, NAIVE_DURABLE, naiveExchange, naiveReplyQueue, type NaiveReply } from '../lib/naive-relay.ts';

const prefix = process.env.BENCH_PREFIX ?? 'benchnaive';
const model = await connect(AMQP_URL, { noDelay: true });
const ch = NAIVE_DURABLE ? await model.createConfirmChannel() : await model.createChannel();
await ch.assertExchange(naiveExchange(prefix), 'direct', { durable: NAIVE_DURABLE });
if (NAIVE_DURABLE) await ch.prefetch(256);
const calls = new Map<string, { socket: Socket; ack: (answer: unknown) => void }>();

// Durable: every reply relayed in this loop turn is acked by one `multiple` ack.
let lastRelayed: ConsumeMessage | undefined;
const ackRelayed = () => {
  if (lastRelayed) ch.ack(lastRelayed, true);
  lastRelayed = undefined;
};
const relay = (message: ConsumeMessage | null) => {
  if (!message) return;
  const reply = JSON.parse(message.content.toString()) as NaiveReply;
  const call = calls.get(reply.id);
  if (call) {
    if (reply.kind === 'chunk') call.socket.emit('chunk', reply.data);
    else {
      calls.delete(reply.id);
      call.ack({ ok: true, result: reply.data });
    }
  }
  if (!NAIVE_DURABLE) return;
  if (lastRelayed === undefined) setImmediate(ackRelayed);
  lastRelayed = message;
};

const shared = NAIVE_DURABLE ? undefined : (await ch.assertQueue('', { exclusive: true, durable: false })).queue;
if (shared) await ch.consume(shared, relay, { noAck: true });

let next = 0;
const http = createServer();
const io = new Server(http, { maxHttpBufferSize: 2 * 1024 * 1024, serveClient: false });
io.on('connection', (socket) => {
  const replyTo = shared ?? naiveReplyQueue(prefix, socket.id);
  const ready = shared ? Promise.resolve() : ch.assertQueue(replyTo, { durable: true, arguments: DURABLE_REPLY_ARGS }).then(() => ch.consume(replyTo, relay));
  socket.on('call', (frame: { op: string; payload: unknown }, ack: (answer: unknown) => void) => {
    const id = String(next++);
    calls.set(id, { socket, ack });
    const body = Buffer.from(JSON.stringify(frame.payload));
    if (!NAIVE_DURABLE) {
      ch.publish(naiveExchange(prefix), frame.op, body, { correlationId: id, replyTo, contentType: 'application/json' });
      return;
    }
    void ready.then(() =>
      ch.publish(
        naiveExchange(prefix),
        frame.op,
        body,
        { correlationId: id, replyTo, contentType: 'application/json', persistent: true, mandatory: true },
        (error: unknown) => {
          if (!error || !calls.delete(id)) return;
          ack({ ok: false, error: 'not accepted' });
        },
      ),
    );
  });
  if (!shared) replyQueues.add(replyTo);
  socket.on('disconnect', () => {
    for (const [id, call] of calls) if (call.socket === socket) calls.delete(id);
  });
});

// Durable: the per-socket reply queues are deleted before the process ends
// (the harness closes stdin), not left to expire.
const replyQueues = new Set<string>();
const listening = () => ({ url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` });
http.listen(0, '127.0.0.1', () => {
  if (!NAIVE_DURABLE) return serveUntilStdinCloses(listening());
  process.stdin.resume();
  process.stdin.on('close', async () => {
    await Promise.allSettled([...replyQueues].map((queue) => ch.deleteQueue(queue)));
    process.exit(0);
  });
  report({ ev: 'ready', pid: process.pid, ...listening() });
});
