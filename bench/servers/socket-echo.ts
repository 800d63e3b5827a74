// The socket floor: a bare Socket.IO server with the same engine options the
// gateway uses, answering `call` from memory — no broker, no validation. What
// Warren costs above it is the price of the relay.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { serveUntilStdinCloses } from '../lib/child.ts';
import { streamChunks, type StreamPayload } from '../lib/workloads.ts';

const http = createServer();
const io = new Server(http, { maxHttpBufferSize: 2 * 1024 * 1024, serveClient: false });
io.on('connection', (socket) => {
  socket.on('call', (frame: { op: string; payload: unknown }, ack: (answer: unknown) => void) => {
    if (frame.op === 'stream') {
      for (const chunk of streamChunks(frame.payload as StreamPayload)) socket.emit('chunk', chunk);
      ack({ ok: true, result: { n: (frame.payload as StreamPayload).n } });
    } else ack({ ok: true, result: frame.payload });
  });
});
http.listen(0, '127.0.0.1', () => serveUntilStdinCloses({ url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` }));
