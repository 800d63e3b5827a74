// Shared set-up: a backend over a fake socket, closed after each test.
import { afterEach } from 'vitest';
import { createBackend, createMemorySessionStore, type Backend, type BackendOptions } from '../src/index.ts';
import { createFakeSocket, sequentialIds, type FakeSocket } from './fake-socket.ts';

const open: Backend[] = [];
afterEach(() => {
  for (const backend of open.splice(0)) backend.close();
});

/**
 * `session`: the frame the fake gateway sends on every connect (including
 * the one the socket starts with); none by default. Keyed calls wait for it.
 */
export const setup = ({ connected = true, session, ...options }: Partial<BackendOptions> & { connected?: boolean; session?: Record<string, unknown> } = {}) => {
  const socket: FakeSocket = createFakeSocket({ connected, session });
  const sessionStore = createMemorySessionStore();
  const backend = createBackend({
    url: 'http://gateway.test',
    connect: () => socket,
    createId: sequentialIds(),
    sessionStore,
    ...options,
  });
  open.push(backend);
  if (connected && session !== undefined) socket.serverEmit('session', session);
  return { socket, backend, sessionStore };
};

/** Lets promise callbacks run. */
export const flushMicrotasks = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** Resolves to the rejection of a promise that must reject. */
export const rejectionOf = async (promise: Promise<unknown>): Promise<unknown> => {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
};
