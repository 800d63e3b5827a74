// The slice of a socket.io-client Socket the backend uses. Keeping it this
// small lets tests hand in a fake built from the same interface, or a real
// socket.io-client socket pointed at an in-process server.
import { io } from 'socket.io-client';

// Listener parameters stay `any` so a real Socket (typed event maps) fits.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
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
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  emit(event: string, ...args: any[]): unknown;
  connect(): unknown;
  disconnect(): unknown;
}

export type AuthPayload = { session?: string };

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

export const connectOptions = (readToken: () => string | null): ConnectOptions => ({
  transports: ['websocket'],
  auth: (cb) => {
    const token = readToken();
    cb(token ? { session: token } : {});
  },
  reconnectionDelay: 250,
  reconnectionDelayMax: 5000,
  forceNew: true,
});
