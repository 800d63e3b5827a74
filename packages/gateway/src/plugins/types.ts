// The gateway plugin API: a plugin is an object of hooks named by phase,
// made by a factory that validated its options at start-up. createGateway
// runs the built-ins first, then `plugins` in order (see docs/plugins.md).
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { Principal, Response, RunContext, RunFields } from '@warren/protocol';

export type { Principal } from '@warren/protocol';

/** What the client sent at the Socket.IO handshake. Untrusted. */
export interface HandshakeInfo {
  /** The Socket.IO `auth` object (`{ token, session }`). */
  auth: Record<string, unknown>;
  headers: IncomingHttpHeaders;
  /** Client address; with `trustProxy`, the last hop of X-Forwarded-For. */
  ip: string;
  origin: string | undefined;
}

/** One connected socket, from the handshake until it disconnects. */
export interface ConnectionContext {
  readonly socketId: string;
  readonly handshake: HandshakeInfo;
  /** The verified caller; undefined means anonymous. Set by an authentication plugin. */
  principal: Principal | undefined;
  /** When the caller's credentials expire, epoch ms; each request after it is UNAUTHORIZED. */
  expiresAtMs: number | undefined;
  readonly log: Logger;
}

/** What a local run's ctx carries: a local handler is never redelivered (attempt 1), and always has a deadline and a trace context. */
export interface LocalRunFields extends RunFields {
  attempt: 1;
  deadline: number;
  traceparent: string;
}

/** `ctx` of a request handled inside the gateway: the same runtime and members a worker's ctx has. */
export type LocalHandlerContext = RunContext<LocalRunFields, Logger>;

// biome-ignore lint/suspicious/noExplicitAny: a local handler checks its own payload
export type LocalHandler = (payload: any, ctx: LocalHandlerContext) => unknown;

/** One request on its way through the plugin chain. */
export interface RequestContext {
  readonly connection: ConnectionContext;
  readonly sessionId: string;
  readonly id: string;
  readonly type: string;
  /**
   * The payload; a plugin may replace it (transform). Replace, never change
   * it in place: while it is the frame's own object, the JSON text checked on
   * arrival is what the schema check reads and what is published.
   */
  payload: unknown;
  /** Size of the payload as JSON text, in bytes. */
  readonly payloadBytes: number;
  /** An attach-only request (`attach: true`): it carries no payload and starts nothing. */
  readonly attachOnly?: boolean;
  /** Absolute deadline, epoch ms; a plugin may shorten it. */
  deadline: number;
  /** W3C trace context: the client's, or one the gateway generated. */
  readonly traceparent: string;
  /** Travels to workers as header x-warren-principal; starts as a copy of the connection's. Plugins may enrich it. */
  principal: Principal | undefined;
  /** Carries requestId, type, sessionId and traceparent on every line. */
  readonly log: Logger;
  /** Answer this request inside the gateway instead of publishing it; call it instead of `next()`. */
  handleLocally(handler: LocalHandler): void;
}

/** Passes the request on to the next plugin, and finally to the broker. Rejects with the error a later step threw. */
export type Next = () => Promise<void>;

export interface ResponseContext {
  readonly connection: ConnectionContext;
  readonly sessionId: string;
  /** The request, when this connection accepted it (undefined for one accepted before a resume). */
  readonly request: { readonly id: string; readonly type: string } | undefined;
}

export interface GatewayPlugin {
  /** Shown in logs and boot errors. */
  readonly name: string;
  /** Every Engine.IO handshake (HTTP request or WebSocket upgrade), before any Socket.IO packet. Throw a WarrenError to refuse it. */
  onHandshake?(req: IncomingMessage): void | Promise<void>;
  /** A socket connects (Socket.IO middleware). Throw a WarrenError to refuse it: the client gets `connect_error` with `data: { code, message }`. */
  onConnect?(connection: ConnectionContext): void | Promise<void>;
  /** Each well-formed request. Call `next()` to pass it on, throw a WarrenError to reject it (nothing is published), or `ctx.handleLocally(fn)`. */
  onRequest?(ctx: RequestContext, next: Next): Promise<void>;
  /** Each response relayed to this connection, innermost plugin first. Return a response to replace it. */
  // biome-ignore lint/suspicious/noConfusingVoidType: a hook that returns nothing keeps the response
  onResponse?(response: Response, ctx: ResponseContext): Response | void;
  /** The socket is gone, innermost plugin first. */
  onDisconnect?(connection: ConnectionContext, reason: string): void;
}
