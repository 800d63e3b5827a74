// One `request` frame, from the socket to an ack: parse it, give it a trace
// context, run the plugin chain, and finally publish it (or run it locally
// when a plugin asked to). A refused request is acked with its typed error
// and nothing reaches the broker.
import type { Logger } from 'pino';
import { jsonDepth, MAX_BODY_DEPTH, parseRequestFrame, type Ack, type WireError } from '@warren/protocol';
import type { Transport } from '@warren/transport';
import type { AcceptedRequests } from './accepted-requests.ts';
import { runLocally, type LocalRun } from './local-run.ts';
import type { GatewayMetrics } from './metrics.ts';
import type { GatewayOptions } from './options.ts';
import type { PluginChain } from './plugins/compose.ts';
import { toBrowserError } from './plugins/errors.ts';
import type { ConnectionContext, LocalHandler, RequestContext } from './plugins/types.ts';
import type { PendingRequests } from './pending-requests.ts';
import { traceparentFor } from './trace.ts';

export interface PipelineDeps {
  transport: Transport;
  options: GatewayOptions;
  chain: PluginChain;
  accepted: AcceptedRequests;
  metrics: GatewayMetrics;
  connection: ConnectionContext;
  sessionId: string;
  pending: PendingRequests;
  /** Requests this connection is answering locally, by id. */
  locals: Map<string, LocalRun>;
  ensureReplies(): Promise<unknown>;
  /** Gateway-wide record of local runs, so shutdown can end them. */
  trackLocal(run: LocalRun): void;
  isDraining(): boolean;
  /** False when this connection already logged many invalid frames lately (a flood must not flood the log). */
  mayLogInvalid(): boolean;
  log: Logger;
  now: () => number;
}

export type AckFn = (ack: Ack) => void;

const idOf = (frame: unknown) =>
  frame !== null && typeof frame === 'object' && typeof (frame as { id?: unknown }).id === 'string'
    ? (frame as { id: string }).id.slice(0, 128)
    : undefined;

const NOT_JSON = -1;
const TOO_DEEP = -2;
/**
 * Bytes of the payload as JSON text; NOT_JSON for binary attachments, cycles
 * or absurd nesting, TOO_DEEP past the protocol's MAX_BODY_DEPTH (workers
 * would refuse it; Python's parser cannot even read it).
 */
export const jsonBytes = (value: unknown): number => {
  try {
    const text = JSON.stringify(value, function (this: Record<string, unknown>, key, v) {
      const raw = this[key];
      if (raw instanceof ArrayBuffer || ArrayBuffer.isView(raw)) throw new TypeError('binary');
      return v;
    });
    if (text === undefined) return NOT_JSON;
    return jsonDepth(text, MAX_BODY_DEPTH) > MAX_BODY_DEPTH ? TOO_DEEP : Buffer.byteLength(text);
  } catch {
    return NOT_JSON;
  }
};

const INTERNAL: WireError = { code: 'INTERNAL', message: 'The gateway failed to accept the request.' };

export const createRequestPipeline = (deps: PipelineDeps) => {
  const { transport, options, connection, sessionId, log, now } = deps;
  const refuse = (ack: AckFn, id: string | undefined, error: WireError, type?: string) => {
    deps.metrics.rejected(error.code, type);
    ack(id === undefined ? { ok: false, error } : { ok: false, id, error });
  };

  return async (frame: unknown, ack: AckFn): Promise<void> => {
    const parsed = parseRequestFrame(frame);
    if (!parsed.ok) {
      if (deps.mayLogInvalid()) log.warn({ requestId: idOf(frame), error: parsed.error.message }, 'invalid request frame');
      return refuse(ack, idOf(frame), parsed.error);
    }
    const { id, type, timeoutMs } = parsed.value;
    const traceparent = traceparentFor(parsed.value.traceparent);
    const rlog = log.child({ requestId: id, type, traceparent });
    if (deps.isDraining()) {
      return refuse(ack, id, { code: 'SHUTTING_DOWN', message: 'This gateway is shutting down; reconnect and retry.' }, type);
    }
    if (deps.accepted.has(sessionId, id)) {
      // A re-send after a lost ack: accepted already, must not run twice.
      rlog.info('duplicate request; already accepted');
      return ack({ ok: true, id });
    }
    const payloadBytes = jsonBytes(parsed.value.payload);
    if (payloadBytes === NOT_JSON) {
      rlog.warn('payload is not plain JSON');
      return refuse(ack, id, { code: 'INVALID_REQUEST', message: 'The payload must be plain JSON (no binary attachments, no deeper nesting than JSON allows).' }, type);
    }
    if (payloadBytes === TOO_DEEP) {
      return refuse(ack, id, { code: 'INVALID_REQUEST', message: `The payload nests arrays/objects deeper than ${MAX_BODY_DEPTH} levels.` }, type);
    }

    let local: LocalHandler | undefined;
    let published = false;
    const ctx: RequestContext = {
      connection,
      sessionId,
      id,
      type,
      payload: parsed.value.payload,
      payloadBytes,
      deadline: now() + Math.min(timeoutMs ?? options.defaultTimeoutMs, options.maxTimeoutMs),
      traceparent,
      principal: connection.principal === undefined ? undefined : { ...connection.principal },
      log: rlog,
      handleLocally(handler) {
        if (typeof handler !== 'function') throw new TypeError('handleLocally needs a handler function');
        local = handler;
      },
    };
    try {
      await deps.chain.request(ctx, async () => {
        if (local) return; // a plugin already took it; the terminal step does nothing
        await deps.ensureReplies();
        // Pending before publishing: the answer may arrive before the ack goes out.
        deps.pending.add(id, type, ctx.deadline);
        await transport.publishRequest({
          id,
          type,
          payload: ctx.payload,
          session: sessionId,
          deadline: ctx.deadline,
          traceparent,
          // Only what plugins put here reaches workers: a client cannot set it.
          ...(ctx.principal === undefined ? {} : { principal: ctx.principal }),
        }).catch((error: unknown) => {
          deps.pending.finish(id);
          throw error;
        });
        published = true;
      });
      if (local && !published) {
        await deps.ensureReplies();
        deps.pending.add(id, type, ctx.deadline);
        const run = runLocally(local, { transport, sessionId, id, type, payload: ctx.payload, principal: ctx.principal, deadline: ctx.deadline, traceparent, log: rlog, now });
        deps.locals.set(id, run);
        deps.trackLocal(run);
        void run.done.finally(() => deps.locals.delete(id));
      } else if (!published) {
        rlog.error('no plugin answered the request and none passed it on');
        return refuse(ack, id, INTERNAL, type);
      }
    } catch (error) {
      let wire = toBrowserError(error, INTERNAL);
      // The transport's message names the broker's address: not for browsers.
      if (wire.code === 'BROKER_UNAVAILABLE') wire = { code: wire.code, message: 'The gateway cannot reach the message broker; try again shortly.' };
      if (wire === INTERNAL) rlog.error({ err: error }, 'request failed inside the gateway');
      else rlog.info({ code: wire.code }, 'request rejected');
      return refuse(ack, id, wire, type);
    }
    deps.accepted.add(sessionId, id, ctx.deadline);
    deps.metrics.accepted(type);
    rlog.info({ deadline: ctx.deadline, local: Boolean(local && !published) }, 'request accepted');
    ack({ ok: true, id });
  };
};
