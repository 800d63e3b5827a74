// Holds idle Warren connections (real clients: each gets its session) until
// the harness closes stdin. Opened in batches, not as one thundering herd.
import { createBackend, createMemorySessionStore, type Backend } from '@warren/client';
import { readSpec, serveUntilStdinCloses } from '../lib/child.ts';
import { connectAll } from './connect.ts';

const spec = readSpec<{ url: string; connections: number }>();
const backends: Backend[] = [];
const open = () =>
  new Promise<void>((resolve) => {
    const backend = createBackend({ url: spec.url, sessionStore: createMemorySessionStore() });
    backends.push(backend);
    const off = backend.subscribe(() => {
      if (backend.getSnapshot().sessionId !== null) {
        off();
        resolve();
      }
    });
  });
await connectAll(
  Array.from({ length: spec.connections }, () => open),
  180_000,
);
serveUntilStdinCloses({ connections: backends.length });
