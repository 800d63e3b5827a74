// The slice of a socket.io-client Socket the backend uses. Keeping it this
// small lets tests hand in a fake built from the same interface, or a real
// socket.io-client socket pointed at an in-process server.
import { io } from 'socket.io-client';
import { CAPABILITIES } from '@warren/protocol';

// Listener parameters stay `any` so a real Socket (typed event maps) fits.
// biome-ignore lint/suspicious/noExplicitAny: listener arguments must accept socket.io's typed event maps
export type SocketListener = (...args: any[]) => void;

export interface SocketLike {
  readonly connected: boolean;
  /**
   * socket.io-client: false once the socket will not retry by itself (the
   * server kicked it or refused it in middleware). Treated as true when absent.
   */
  readonly active?: boolean;
  on(event: string, listener: SocketListener): unknown;
  off(event: string, listener?: SocketListener): unknown;
  // biome-ignore lint/suspicious/noExplicitAny: listener arguments must accept socket.io's typed event maps
  emit(event: string, ...args: any[]): unknown;
  connect(): unknown;
  disconnect(): unknown;
  /**
   * socket.io-client: the Manager and its engine. `close()` waits for the
   * engine's `close`, which it emits once what was written before the
   * disconnect has been handed to the transport. Absent in fakes.
   */
  readonly io?: { readonly engine?: { readonly readyState?: string; once(event: 'close', listener: () => void): unknown } };
}

/**
 * What the client tells the gateway on every (re)connect: its session token,
 * a credential, and what it can receive beyond protocol 1's first release
 * (an older gateway ignores the list).
 */
type AuthPayload = { session?: string; token?: string; capabilities: string[] };

/**
 * The client reads `responses` frames (one frame, one ack for the responses
 * of a tick), a fast request's first response in its ack (fast-answers),
 * acknowledges responses by seq on its request frames (cumulative-acks),
 * and reads a large response's data sent as bytes (data-bytes).
 */
const CLIENT_CAPABILITIES = [CAPABILITIES.responseBatches, CAPABILITIES.fastAnswers, CAPABILITIES.cumulativeAcks, CAPABILITIES.dataBytes];

/** A credential for the gateway's authentication (e.g. a JWT): fixed, or fetched on every (re)connect. */
export type TokenSource = string | (() => string | null | undefined | Promise<string | null | undefined>);

/** What createBackend passes to `connect`: ready to spread into `io(url, …)`. */
export interface ConnectOptions {
  transports: ['websocket'];
  /** Called by socket.io on every (re)connect, so a fresh session token is sent each time. */
  auth: (cb: (data: AuthPayload) => void) => void;
  /** ms before the first reconnect attempt. */
  reconnectionDelay: number;
  /** ms between reconnect attempts at most (exponential backoff cap). */
  reconnectionDelayMax: number;
  /** One connection per backend: io() would otherwise share a Manager per URL. */
  forceNew: true;
}

export type Connect = (url: string, options: ConnectOptions) => SocketLike;

export const defaultConnect: Connect = (url, options) => io(url, options);

export const connectOptions = (readSession: () => string | null, token?: TokenSource): ConnectOptions => ({
  transports: ['websocket'],
  auth: (cb) => {
    const session = readSession();
    const base: AuthPayload = { ...(session ? { session } : {}), capabilities: [...CLIENT_CAPABILITIES] };
    if (token === undefined) return cb(base);
    // A getter runs on every (re)connect, so a refreshed credential is sent;
    // one that fails connects without it and the gateway answers UNAUTHORIZED.
    Promise.resolve()
      .then(() => (typeof token === 'function' ? token() : token))
      .then(
        (value) => cb(value ? { ...base, token: value } : base),
        () => cb(base),
      );
  },
  reconnectionDelay: 250,
  reconnectionDelayMax: 5000,
  forceNew: true,
});
