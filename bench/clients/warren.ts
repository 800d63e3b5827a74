// Warren's own client (@warren/client), one backend — one socket, one
// session — per virtual user, as C browser tabs would have. BENCH_FAST=1:
// every call asks for the fast lane.
import { createBackend, createMemorySessionStore } from '@warren/client';
import { clientMain } from '../lib/closed-loop.ts';
import { connectAll } from './connect.ts';

const fast = process.env.BENCH_FAST === '1';

await clientMain(async (spec) => {
  const backends = Array.from({ length: spec.concurrency }, () =>
    createBackend({ url: spec.url, sessionStore: createMemorySessionStore(), defaultTimeoutMs: 120_000 }),
  );
  await connectAll(backends.map((backend) => () => waitConnected(backend)));
  return {
    call: (vu, workload, onChunk) =>
      backends[vu]!.makeBackendRequest(workload.op, workload.payload, { onChunk, timeoutMs: workload.timeoutMs, ...(fast ? { fast } : {}) }),
    async close() {
      for (const backend of backends) backend.close();
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
