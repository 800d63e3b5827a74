// Retained calls (docs/decisions/0014-retained-calls.md), one connection's
// side: a request with a `key` names a call (scoped to the caller); the
// first one, through any gateway, publishes the request with the call queue
// as its reply address, and every one — first or later — attaches: reads
// the call queue from its first response, relays each to the socket under
// the id the client chose for this frame, and never acks, so the next
// reader (after a reload, on another gateway) gets them all again.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { CALL_RETENTION, createWarrenError, isFinal, topology, type Principal, type Response, type WireError } from '@warren/protocol';
import type { GatewayTransport, Subscription } from '@warren/transport';
import type { ConnectionRequests } from './in-flight.ts';
import type { GatewayMetrics } from './metrics.ts';
import type { PluginChain } from './plugins/compose.ts';
import type { ConnectionContext } from './plugins/types.ts';
import type { SocketPositions } from './queue-positions.ts';

/** Whose keys these are: a principal's across its sessions, else the one session's. */
export const callScopeOf = (principal: Principal | undefined, sessionId: string): string =>
  typeof principal?.sub === 'string' ? `sub:${principal.sub}` : `session:${sessionId}`;

/**
 * The call a key names: base64url(SHA-256(ns NUL scope NUL key)), first 32
 * characters (192 bits). Only the gateway computes it, from the caller's
 * own scope, so no caller can name another's call.
 */
export const callIdOf = (namespace: string, scope: string, key: string): string =>
  createHash('sha256').update(`${namespace}\u0000${scope}\u0000${key}`).digest('base64url').slice(0, 32);

interface KeyedRequest {
  id: string;
  type: string;
  key: string;
  attach: boolean;
  payload: unknown;
  deadline: number;
  traceparent: string;
  principal: Principal | undefined;
  /** Puts it in flight on this connection (the gauge, latency, `lost`): a frame's first copy only. */
  begin?(): void;
}

interface RetainedDeps {
  /**
   * To the socket with the connection's other responses (the reply relay's
   * frames: one `responses` frame per tick for a client that asked for
   * batches); `onAcked` runs when the browser acked the frame holding it.
   */
  send(response: Response, onAcked: () => void): void;
  transport: GatewayTransport;
  namespace: string;
  retentionMs: number;
  sessionId: string;
  connection: ConnectionContext;
  chain: PluginChain;
  requests: ConnectionRequests;
  metrics: GatewayMetrics;
  positions: SocketPositions;
  /** The client's id for this frame names `call` (GET /calls/:id finds the call's hops by it). */
  onAttach?(id: string, call: string): void;
  log: Logger;
}

interface Attachment {
  call: string;
  type: string;
  subscription?: Subscription;
  held: number;
  bytes: number;
  last?: Response;
  done: boolean;
}

export interface RetainedCalls {
  /**
   * Claims (or, with `attach`, finds) the call the key names, publishes its
   * request when it is new, and attaches this connection to it under `id`.
   * Resolves `attached: true` when the call already existed. Throws EXPIRED
   * for an attach-only request whose call is no longer retained.
   */
  start(request: KeyedRequest): Promise<{ attached: boolean }>;
  /** The call behind a client id attached on this connection (cancels name it). */
  callOf(id: string): string | undefined;
  /** Detaches everything: the socket is gone (responses stay in their call queues). */
  close(): void;
}

const expired = (): WireError => ({
  code: 'EXPIRED',
  message: 'This call is no longer retained (it finished longer ago than the retention window, or it never started); send the request again.',
});

export const createRetainedCalls = (deps: RetainedDeps): RetainedCalls => {
  const { transport, log, requests, metrics } = deps;
  const topo = topology(deps.namespace);
  const scope = callScopeOf(deps.connection.principal, deps.sessionId);
  const attached = new Map<string, Attachment>();
  let closed = false;

  const detach = (id: string, attachment: Attachment) => {
    attachment.done = true;
    if (attached.get(id) === attachment) attached.delete(id);
    // Unacked, every response returns to the call queue for the next reader.
    void attachment.subscription?.close().catch(() => {});
  };

  /** The same path as the session relay's: positions, plugins' onResponse, metrics, then the socket. */
  const relay = (id: string, attachment: Attachment, response: Response) => {
    deps.positions.answered(response);
    const out = deps.chain.response(response, { connection: deps.connection, sessionId: deps.sessionId, request: { id, type: attachment.type } });
    if (!isFinal(response)) metrics.chunk(attachment.type);
    else {
      const done = requests.finish(id);
      metrics.finished(attachment.type, response.kind === 'result' ? 'ok' : response.error.code, done ? done.ageMs / 1000 : undefined);
    }
    deps.send(out, () => {
      // The browser has the final: this reader is done; the call stays retained for the window.
      if (isFinal(response)) detach(id, attachment);
    });
  };

  /** Ends the attachment with an error envelope after the last response relayed. */
  const fail = (id: string, attachment: Attachment, error: WireError) => {
    if (attachment.done) return;
    const last = attachment.last;
    const seq = last ? last.seq + 1 : 0;
    const attempt = last?.attempt ?? 1;
    attachment.done = true;
    relay(id, attachment, { kind: 'error', id, seq, attempt, error });
    detach(id, attachment);
  };

  const attach = async (id: string, call: string, type: string) => {
    const previous = attached.get(id);
    if (previous) detach(id, previous);
    const attachment: Attachment = { call, type, held: 0, bytes: 0, done: false };
    attached.set(id, attachment);
    attachment.subscription = await transport.consumeCall(call, {
      response(response) {
        if (attachment.done || closed) return;
        attachment.held += 1;
        attachment.bytes += Buffer.byteLength(JSON.stringify(response));
        // What the broker bounds in the queue, the gateway bounds in what it holds unacked.
        if (attachment.held > CALL_RETENTION.maxResponses || attachment.bytes > CALL_RETENTION.maxBytes) {
          log.warn({ requestId: id, call, held: attachment.held, bytes: attachment.bytes }, 'retained call exceeded its bounds; detaching');
          return fail(id, attachment, {
            code: 'PAYLOAD_TOO_LARGE',
            message: `The call exceeded what a retained call may hold (${CALL_RETENTION.maxResponses} responses, ${CALL_RETENTION.maxBytes} bytes).`,
          });
        }
        const relayed = { ...response, id };
        attachment.last = relayed;
        relay(id, attachment, relayed);
      },
      gone() {
        if (attachment.done || closed) return;
        log.info({ requestId: id, call }, 'retained call is gone');
        fail(id, attachment, expired());
      },
    });
    if (closed || attachment.done) await attachment.subscription.close();
  };

  return {
    async start(request) {
      const call = callIdOf(deps.namespace, scope, request.key);
      let outcome: 'new' | 'existing';
      if (request.attach) {
        if (!(await transport.callExists(call))) throw createWarrenError('EXPIRED', expired().message);
        outcome = 'existing';
      } else {
        outcome = await transport.claimCall(call, { retentionMs: deps.retentionMs });
      }
      // Watched before anything can answer: a waiter must not outlive its first response.
      deps.positions.watch(request.id, request.type, outcome === 'new', request.deadline - Date.now());
      if (outcome === 'new') {
        try {
          // id = session = call: a cancel names the call, whoever attached to it (decision 0014 §1).
          await transport.publishRequest({
            id: call,
            type: request.type,
            payload: request.payload,
            session: call,
            replyTo: topo.callQueue(call),
            deadline: request.deadline,
            traceparent: request.traceparent,
            ...(request.principal === undefined ? {} : { principal: request.principal }),
          });
        } catch (error) {
          // Nothing runs: free the key so the caller may send it again.
          deps.positions.forget(request.id);
          await transport.dropCall(call).catch((e: Error) => log.warn({ call, err: e.message }, 'could not drop an unpublished call'));
          throw error;
        }
      }
      if (outcome === 'new') deps.positions.queued(request.id);
      // In flight before attaching: the retained responses arrive at once.
      request.begin?.();
      deps.onAttach?.(request.id, call);
      try {
        await attach(request.id, call, request.type);
        // After the consumer started: a call that already answered has its
        // responses on the way before a depth read could report a position.
        if (outcome === 'existing') deps.positions.queued(request.id);
      } catch (error) {
        deps.positions.forget(request.id);
        attached.delete(request.id);
        throw error;
      }
      log.info({ requestId: request.id, call, attached: outcome === 'existing' }, outcome === 'new' ? 'retained call started' : 'attached to a retained call');
      return { attached: outcome === 'existing' };
    },
    callOf: (id) => attached.get(id)?.call,
    close() {
      closed = true;
      for (const [id, attachment] of attached) detach(id, attachment);
    },
  };
};
