// A scripted gateway: a real socket.io Server on port 0 that speaks hop 1 of
// the protocol as far as each test scripts it. Closes itself after each test.
// A test must await every respond() it starts: one still waiting for its ack
// when the test ends fails the teardown (its server is closed, the ack can no
// longer come), rather than a timer rejecting seconds later, in another test.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';
import { afterEach } from 'vitest';

export interface FakeGateway {
  url: string;
  io: Server;
  /** Every connection's handshake auth, in order. */
  auths: unknown[];
  /** Every request frame received, in order. */
  requests: Array<{ id: string; type: string; payload: unknown; timeoutMs?: number }>;
  cancels: unknown[];
  logs: unknown[];
  /** Latest connected socket. */
  socket(): Socket;
  /** Sends a response and resolves once the client acked it; rejects after ACK_WAIT_MS without. */
  respond(socket: Socket, frame: Record<string, unknown>): Promise<void>;
}

type OnRequest = (frame: { id: string; type: string; payload: unknown }, ack: (value: unknown) => void, socket: Socket, gateway: FakeGateway) => void;

/** How long respond() waits for the client's ack. */
const ACK_WAIT_MS = 2000;

const running: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((close) => close()));
});

export const startFakeGateway = async (onRequest: OnRequest): Promise<FakeGateway> => {
  const http = createServer();
  const io = new Server(http);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  let latest: Socket | undefined;
  let sessions = 0;
  // Responses sent and not yet acked, each with its ack timer.
  const unacked = new Set<{ frame: Record<string, unknown>; timer: ReturnType<typeof setTimeout> }>();
  const gateway: FakeGateway = {
    url: `http://127.0.0.1:${port}`,
    io,
    auths: [],
    requests: [],
    cancels: [],
    logs: [],
    socket: () => {
      if (latest === undefined) throw new Error('no client connected yet');
      return latest;
    },
    // Not socket.timeout().emitWithAck(): its timer outlives a closed server.
    respond: (socket, frame) =>
      new Promise<void>((resolve, reject) => {
        const entry = {
          frame,
          timer: setTimeout(() => {
            unacked.delete(entry);
            reject(new Error(`response not acked within ${ACK_WAIT_MS} ms: ${JSON.stringify(frame)}`));
          }, ACK_WAIT_MS),
        };
        unacked.add(entry);
        socket.emit('response', frame, () => {
          clearTimeout(entry.timer);
          unacked.delete(entry);
          resolve();
        });
      }),
  };
  io.on('connection', (socket) => {
    latest = socket;
    gateway.auths.push(socket.handshake.auth);
    // Resume when the client presents a token we issued, as the real gateway does.
    const token = (socket.handshake.auth as { session?: string }).session;
    const sessionId = token?.startsWith('s-') ? token.split('.')[0] : `s-${++sessions}`;
    socket.emit('session', { sessionId, token: `${sessionId}.sig` });
    socket.on('request', (frame, ack) => {
      gateway.requests.push(frame);
      onRequest(frame, ack, socket, gateway);
    });
    socket.on('cancel', (frame) => gateway.cancels.push(frame));
    socket.on('client-log', (frame) => gateway.logs.push(frame));
  });
  running.push(async () => {
    await new Promise<void>((resolve) => {
      io.close(() => resolve());
    });
    const left = [...unacked];
    unacked.clear();
    for (const { timer } of left) clearTimeout(timer);
    if (left.length > 0)
      throw new Error(`the test ended before the client acked ${left.length} response(s): ${left.map((e) => JSON.stringify(e.frame)).join(', ')}`);
  });
  return gateway;
};

/** Polls until check() passes (real sockets, real time). */
export const eventually = async (check: () => void, timeoutMs = 3000): Promise<void> => {
  const started = Date.now();
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (Date.now() - started > timeoutMs) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
};
