// An in-memory SocketLike for unit tests: records what the client emits and
// lets a test play the gateway (acks, responses, connection changes).
import type { SocketLike, SocketListener } from '../src/index.ts';

export interface Emitted {
  event: string;
  body: unknown;
  ack?: (value: unknown) => void;
  /** The response acks a request frame carried (cumulative-acks): its argument between the body and the ack. */
  acks?: unknown;
}

export interface FakeSocket extends SocketLike {
  connected: boolean;
  active: boolean;
  emitted: Emitted[];
  connectCalls: number;
  /** Bodies the client emitted for one event, in order. */
  bodies(event: string): unknown[];
  /** The latest `request` frame for an id, with its ack callback. */
  request(id: string): Emitted;
  /** Gateway → client event; returns true when the client called the ack. */
  serverEmit(event: string, body: unknown): boolean;
  /** Gateway → client response frame; returns true when acked. */
  respond(frame: Record<string, unknown>): boolean;
  /** Gateway → client `responses` frame (response-batches); returns how many times the client called its ack. */
  respondBatch(body: unknown): number;
  /** Gateway → client frame with a seq and no ack callback (cumulative-acks). */
  respondSequenced(event: 'response' | 'responses', body: unknown, seq: unknown): void;
  /** Connects, then sends the `session` frame it was created with (if any), as a gateway does. */
  goOnline(): void;
  goOffline(reason?: string): void;
  listenerCount(): number;
}

/** A session frame from a gateway of this version: it supports retained calls and queue positions. */
export const CURRENT_GATEWAY_SESSION = { sessionId: 's-1', token: 's-1.sig', capabilities: ['retained-calls', 'queue-positions'] };

export const createFakeSocket = ({ connected = true, session }: { connected?: boolean; session?: Record<string, unknown> } = {}): FakeSocket => {
  const listeners = new Map<string, Set<SocketListener>>();
  const fire = (event: string, ...args: unknown[]): void => {
    for (const listener of [...(listeners.get(event) ?? [])]) listener(...args);
  };
  const fake: FakeSocket = {
    connected,
    active: true,
    emitted: [],
    connectCalls: 0,
    on: (event, listener) => {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event)?.add(listener);
    },
    off: (event, listener) => {
      if (listener === undefined) listeners.delete(event);
      else listeners.get(event)?.delete(listener);
    },
    emit: (event, body, ...rest) => {
      const ack = rest.at(-1);
      const emitted: Emitted = typeof ack === 'function' ? { event, body, ack } : { event, body };
      if (rest.length === 2) emitted.acks = rest[0];
      fake.emitted.push(emitted);
    },
    connect: () => {
      fake.connectCalls += 1;
      fake.active = true; // like socket.io: it retries by itself from here
    },
    disconnect: () => {
      if (!fake.connected) return;
      fake.connected = false;
      fake.active = false;
      fire('disconnect', 'io client disconnect');
    },
    bodies: (event) => fake.emitted.filter((e) => e.event === event).map((e) => e.body),
    request: (id) => {
      const found = fake.emitted.filter((e) => e.event === 'request' && (e.body as { id: string }).id === id).at(-1);
      if (found === undefined) throw new Error(`no request ${id} was emitted`);
      return found;
    },
    serverEmit: (event, body) => {
      let acked = false;
      fire(event, body, () => {
        acked = true;
      });
      return acked;
    },
    respond: (frame) => fake.serverEmit('response', frame),
    respondSequenced: (event, body, seq) => fire(event, body, seq),
    respondBatch: (body) => {
      let acks = 0;
      fire('responses', body, () => {
        acks += 1;
      });
      return acks;
    },
    goOnline: () => {
      fake.connected = true;
      fake.active = true;
      fire('connect');
      if (session !== undefined) fire('session', session);
    },
    goOffline: (reason = 'transport close') => {
      fake.connected = false;
      if (reason === 'io server disconnect') fake.active = false;
      fire('disconnect', reason);
    },
    listenerCount: () => [...listeners.values()].reduce((n, set) => n + set.size, 0),
  };
  return fake;
};

/** Sequential ids r-1, r-2, … so tests can name requests. */
export const sequentialIds = (): (() => string) => {
  let n = 0;
  return () => `r-${++n}`;
};

export const chunk = (id: string, seq: number, data: unknown, attempt = 1) => ({ kind: 'chunk', id, seq, attempt, data });
export const result = (id: string, seq: number, data: unknown, attempt = 1) => ({ kind: 'result', id, seq, attempt, data });
export const failure = (id: string, seq: number, code: string, message: string, attempt = 1) => ({
  kind: 'error',
  id,
  seq,
  attempt,
  error: { code, message },
});
