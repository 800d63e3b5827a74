// A bare socket.io-client speaking the baselines' minimal protocol: emit
// `call` { op, payload } with an ack that carries the result; chunks arrive
// as `chunk` events { rid, … }. Used against the bare Socket.IO server (the
// socket floor) and the BullMQ relay.
import { io, type Socket } from 'socket.io-client';
import { clientMain } from '../lib/closed-loop.ts';
import { connectAll } from './connect.ts';

await clientMain(async (spec) => {
  const sockets: Socket[] = Array.from({ length: spec.concurrency }, () => io(spec.url, { transports: ['websocket'], forceNew: true, reconnection: false }));
  // One call at a time per socket (closed loop), so the chunk listener is the VU's current call.
  const current: Array<(() => void) | undefined> = [];
  sockets.forEach((socket, vu) => socket.on('chunk', () => current[vu]?.()));
  await connectAll(
    sockets.map(
      (socket) => () =>
        new Promise<void>((resolve, reject) => {
          if (socket.connected) return resolve();
          socket.once('connect', () => resolve());
          socket.once('connect_error', reject);
        }),
    ),
  );
  return {
    call: (vu, workload, onChunk) =>
      new Promise((resolve, reject) => {
        current[vu] = onChunk;
        sockets[vu]!.emit('call', { op: workload.op, payload: workload.payload }, (answer: { ok: boolean; result?: unknown; error?: string }) => {
          current[vu] = undefined;
          if (answer?.ok) resolve(answer.result);
          else reject(new Error(answer?.error ?? 'refused'));
        });
      }),
    async close() {
      for (const socket of sockets) socket.close();
    },
  };
});
