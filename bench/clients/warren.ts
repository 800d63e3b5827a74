// Warren's own client (@warren/client), one backend — one socket, one
// session — per virtual user, as C browser tabs would have. BENCH_FAST=1:
// every call asks for the fast lane.
//
// BENCH_VUS_PER_SOCKET=k: k virtual users share each backend, as the
// components of one page share its socket; only then can a socket carry
// several requests of one tick (request batches, response batches).
// BENCH_FRAMES_DIR=dir: each client process writes there how many Socket.IO
// event frames went each way, how many calls it made (frames per request)
// and whether they asked for the fast lane.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { io } from 'socket.io-client';
import { createBackend, createMemorySessionStore, type BackendOptions } from '@warren/client';
import { clientMain } from '../lib/closed-loop.ts';
import { connectAll } from './connect.ts';

const fast = process.env.BENCH_FAST === '1';
const vusPerSocket = Math.max(1, Number(process.env.BENCH_VUS_PER_SOCKET ?? 1) || 1);
const framesDir = process.env.BENCH_FRAMES_DIR;

const sent: Record<string, number> = {};
const received: Record<string, number> = {};
const bump = (counts: Record<string, number>, event: string) => {
  counts[event] = (counts[event] ?? 0) + 1;
};
/** The default connection, counting every event frame it carries (the ack of each is one more frame back). */
const countingConnect: NonNullable<BackendOptions['connect']> = (url, options) => {
  const socket = io(url, options);
  socket.onAny((event: string) => bump(received, event));
  socket.onAnyOutgoing((event: string) => bump(sent, event));
  return socket;
};

await clientMain(async (spec) => {
  let calls = 0;
  const backends = Array.from({ length: Math.ceil(spec.concurrency / vusPerSocket) }, () =>
    createBackend({
      url: spec.url,
      sessionStore: createMemorySessionStore(),
      defaultTimeoutMs: 120_000,
      ...(framesDir === undefined ? {} : { connect: countingConnect }),
    }),
  );
  await connectAll(backends.map((backend) => () => waitConnected(backend)));
  return {
    call: (vu, workload, onChunk) => {
      calls += 1;
      return backends[Math.floor(vu / vusPerSocket)]!.makeBackendRequest(workload.op, workload.payload, {
        onChunk,
        timeoutMs: workload.timeoutMs,
        ...(fast ? { fast } : {}),
      });
    },
    async close() {
      for (const backend of backends) backend.close();
      if (framesDir === undefined) return;
      mkdirSync(framesDir, { recursive: true });
      const record = { root: process.cwd(), fast, workload: spec.workload, concurrency: spec.concurrency, vusPerSocket, calls, sent, received };
      writeFileSync(join(framesDir, `${process.pid}.json`), `${JSON.stringify(record)}\n`);
    },
  };
});

function waitConnected(backend: ReturnType<typeof createBackend>): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (backend.getSnapshot().status === 'connected' && backend.getSnapshot().sessionId !== null) {
        off();
        resolve();
      }
    };
    const off = backend.subscribe(check);
    check();
  });
}
