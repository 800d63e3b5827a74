// A scripted gateway: a real socket.io Server on port 0 that speaks hop 1 of
// the protocol as far as each test scripts it. Closes itself after each test.
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
  /** Sends a response and resolves once the client acked it. */
  respond(socket: Socket, frame: Record<string, unknown>): Promise<void>;
}

type OnRequest = (frame: { id: string; type: string; payload: unknown }, ack: (value: unknown) => void, socket: Socket, gateway: FakeGateway) => void;

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
    respond: async (socket, frame) => {
      await socket.timeout(2000).emitWithAck('response', frame);
    },
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
  running.push(
    () =>
      new Promise<void>((resolve) => {
        io.close(() => resolve());
      }),
  );
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
