// The naive relay's gateway: a `call` is published to a direct exchange
// (routing key = op) with this process's exclusive reply queue as reply_to;
// replies are consumed with auto-ack and relayed to the socket that asked.
// Nothing is persistent or confirmed: what a crash or a full socket loses
// is lost. It is the floor a relay pays before any guarantee.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'amqplib';
import { Server, type Socket } from 'socket.io';
import { serveUntilStdinCloses } from '../lib/child.ts';
import { AMQP_URL, naiveExchange, type NaiveReply } from '../lib/naive-relay.ts';

const prefix = process.env.BENCH_PREFIX ?? 'benchnaive';
const model = await connect(AMQP_URL, { noDelay: true });
const ch = await model.createChannel();
await ch.assertExchange(naiveExchange(prefix), 'direct', { durable: false });
const { queue: replyTo } = await ch.assertQueue('', { exclusive: true, durable: false });
const calls = new Map<string, { socket: Socket; ack: (answer: unknown) => void }>();
await ch.consume(
  replyTo,
  (message) => {
    if (!message) return;
    const reply = JSON.parse(message.content.toString()) as NaiveReply;
    const call = calls.get(reply.id);
    if (!call) return;
    if (reply.kind === 'chunk') call.socket.emit('chunk', reply.data);
    else {
      calls.delete(reply.id);
      call.ack({ ok: true, result: reply.data });
    }
  },
  { noAck: true },
);

let next = 0;
const http = createServer();
const io = new Server(http, { maxHttpBufferSize: 2 * 1024 * 1024, serveClient: false });
io.on('connection', (socket) => {
  socket.on('call', (frame: { op: string; payload: unknown }, ack: (answer: unknown) => void) => {
    const id = String(next++);
    calls.set(id, { socket, ack });
    ch.publish(naiveExchange(prefix), frame.op, Buffer.from(JSON.stringify(frame.payload)), { correlationId: id, replyTo, contentType: 'application/json' });
  });
  socket.on('disconnect', () => {
    for (const [id, call] of calls) if (call.socket === socket) calls.delete(id);
  });
});
http.listen(0, '127.0.0.1', () => serveUntilStdinCloses({ url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` }));
