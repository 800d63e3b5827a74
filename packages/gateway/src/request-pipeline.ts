// One `request` frame, from the socket to an ack: parse it, give it a trace
// context, run the plugin chain, and finally publish it (or run it locally
// when a plugin asked to). A refused request is acked with its typed error
// and nothing reaches the broker.
import type { Logger } from 'pino';
import { createWarrenError, isWarrenError, MAX_BODY_DEPTH, parseRequestFrame, type Ack, type RequestFrame, type WireError } from '@warren/protocol';
import type { RequestMessage, Transport } from '@warren/transport';
import { fingerprintOf, type Claim, type ConnectionRequests } from './in-flight.ts';
import { runLocally, type LocalRun } from './local-run.ts';
import { NOT_JSON, payloadJson, rememberJson, TOO_DEEP } from './payload-text.ts';
import type { GatewayMetrics } from './metrics.ts';
import type { GatewayOptions } from './options.ts';
import type { PluginChain } from './plugins/compose.ts';
import { toBrowserError } from './plugins/errors.ts';
import type { SocketPositions } from './queue-positions.ts';
import type { RetainedCalls } from './retained-calls.ts';
import type { GatewayFastLane } from './fast-lane.ts';
import type { HeldAcks } from './held-acks.ts';
import type { ConnectionContext, LocalHandler, RequestContext } from './plugins/types.ts';
import { traceparentFor } from './trace.ts';

interface PipelineDeps {
  transport: Transport;
  options: GatewayOptions;
  chain: PluginChain;
  /** This connection's view of the gateway's in-flight table. */
  requests: ConnectionRequests;
  metrics: GatewayMetrics;
  connection: ConnectionContext;
  sessionId: string;
  /** Requests sent with a `key` (retained calls). */
  retained: RetainedCalls;
  /** Where accepted requests wait for their place in the queue to be told. */
  positions: SocketPositions;
  /** The fast lane, for `fast` requests of types a live worker serves fast (decision 0016). */
  fast: Pick<GatewayFastLane, 'serves' | 'publish'>;
  /**
   * Acks that wait for their call's first response (held-acks.ts): a fast
   * request's when the client asked for `fast-answers`, a durable one's
   * when it asked for `cumulative-acks` (`holdDurable`).
   */
  held?: Pick<HeldAcks, 'expect' | 'hold'>;
  /** The client asked for `fast-answers`: a fast request's ack waits. @default true (when `held` is given) */
  holdFast?: boolean;
  /** The client asked for `cumulative-acks`: a durable (unkeyed) request's ack waits. */
  holdDurable?: boolean;
  ensureReplies(): Promise<unknown>;
  /** Gateway-wide record of local runs, so shutdown can end them. */
  trackLocal(run: LocalRun): void;
  isDraining(): boolean;
  /** False when this connection already logged many invalid frames lately (a flood must not flood the log). */
  mayLogInvalid(): boolean;
  log: Logger;
  now: () => number;
}

/** Writes an ack; a `requests` frame's slot returns a promise, resolved once the frame's ack is written. */
export type AckFn = (ack: Ack) => void | Promise<void>;

const idOf = (frame: unknown) =>
  frame !== null && typeof frame === 'object' && typeof (frame as { id?: unknown }).id === 'string' ? (frame as { id: string }).id.slice(0, 128) : undefined;

/**
 * A request's logger (requestId, type and traceparent on every line), made
 * on first use: pino serialises a child's bindings when it is made, and at
 * LOG_LEVEL=warn most requests never log.
 */
type RequestLog = () => Logger;
const requestLog = (log: Logger, bindings: { requestId: string; type: string; traceparent: string }): RequestLog => {
  let child: Logger | undefined;
  return () => (child ??= log.child(bindings));
};

const INTERNAL: WireError = { code: 'INTERNAL', message: 'The gateway failed to accept the request.' };

/**
 * What the broker side threw while declaring the reply queue or publishing:
 * the transport's own codes (NO_HANDLER, BROKER_UNAVAILABLE…) as they are,
 * anything else — amqplib's "Channel ended, no reply will be forthcoming",
 * "Channel closed", a socket error — is the broker being unavailable, not a
 * fault inside Warren.
 */
const brokerFailure =
  (log: RequestLog) =>
  (error: unknown): never => {
    if (isWarrenError(error)) throw error;
    log().warn({ err: (error as Error)?.message }, 'broker operation failed');
    throw createWarrenError('BROKER_UNAVAILABLE', 'The gateway cannot reach the message broker; try again shortly.', { cause: error });
  };

export const createRequestPipeline = (deps: PipelineDeps) => {
  const { transport, options, connection, sessionId, log, now } = deps;
  /** A refusal, counted. */
  const refusal = (id: string | undefined, error: WireError, type?: string): Ack => {
    deps.metrics.rejected(error.code, type);
    return id === undefined ? { ok: false, error } : { ok: false, id, error };
  };
  const ackRefusal = (ack: AckFn, id: string | undefined, error: WireError, type?: string) => ack(refusal(id, error, type));

  type Outcome = { ack: Ack; deadline?: number };
  type FirstClaim = Extract<Claim, { kind: 'first' }>;
  /** Plugins, then publish (or a local run): the ack the request earns, and its deadline when accepted. */
  const accept = async (frame: RequestFrame, payloadText: string, traceparent: string, rlog: RequestLog, claim: FirstClaim): Promise<Outcome> => {
    const { id, type, timeoutMs } = frame;
    let local: LocalHandler | undefined;
    let published = false;
    let attached = false;
    let fast = false;
    const ctx: RequestContext = {
      connection,
      sessionId,
      id,
      type,
      payload: frame.payload,
      payloadBytes: Buffer.byteLength(payloadText),
      attachOnly: frame.attach === true,
      deadline: now() + Math.min(timeoutMs ?? options.defaultTimeoutMs, options.maxTimeoutMs),
      traceparent,
      principal: connection.principal === undefined ? undefined : { ...connection.principal },
      get log() {
        return rlog();
      },
      handleLocally(handler) {
        if (typeof handler !== 'function') throw new TypeError('handleLocally needs a handler function');
        local = handler;
      },
    };
    try {
      await deps.chain.request(ctx, async () => {
        if (local) return; // a plugin already took it; the terminal step does nothing
        // As the plugins left it. Only what plugins put in `principal` reaches workers: a client cannot set it.
        // Optional keys assigned, not spread in: two conditional spreads cost 0.06–0.28 µs a request on Bun, assignments 0.01 (issue 16).
        const request: RequestMessage = { id, type, payload: ctx.payload, session: sessionId, deadline: ctx.deadline, traceparent };
        if (ctx.principal !== undefined) request.principal = ctx.principal;
        // The text checked on arrival is the body, unless a plugin replaced the payload (plugins transform by replacing it).
        if (ctx.payload === frame.payload) request.payloadJson = payloadText;
        if (frame.fast === true && deps.fast.serves(type)) {
          // In flight before publishing; no confirm awaited: the ack goes out once the frame is written.
          claim.start(type, ctx.deadline);
          // Before publishing: its first response may come before the ack is ready, and must ride in it.
          if (deps.holdFast !== false) deps.held?.expect(id, true);
          // try/catch rather than .catch(brokerFailure(rlog)): no closure and no extra promise per fast request.
          try {
            await deps.fast.publish(request);
          } catch (error) {
            brokerFailure(rlog)(error);
          }
          published = true;
          fast = true;
          return;
        }
        if (frame.key !== undefined) {
          const started = await deps.retained
            .start({
              id,
              type,
              key: frame.key,
              attach: frame.attach === true,
              payload: ctx.payload,
              deadline: ctx.deadline,
              traceparent,
              principal: ctx.principal,
              // In flight on this connection before anything can answer.
              begin: () => claim.start(type, ctx.deadline),
            })
            .catch(brokerFailure(rlog));
          attached = started.attached;
          published = true;
          return;
        }
        // try/catch rather than .catch(closure) on both awaits: no closure and no extra promise per durable request.
        try {
          await deps.ensureReplies();
        } catch (error) {
          brokerFailure(rlog)(error);
        }
        // In flight before publishing: the answer may arrive before the ack goes out.
        claim.start(type, ctx.deadline);
        // Before publishing, as for a fast one: its first response may come before the confirm.
        if (deps.holdDurable === true) deps.held?.expect(id, false);
        deps.positions.watch(id, type, true, ctx.deadline - now());
        try {
          await transport.publishRequest(request);
        } catch (error) {
          deps.positions.forget(id);
          brokerFailure(rlog)(error);
        }
        deps.positions.queued(id);
        published = true;
      });
      if (local && !published) {
        await deps.ensureReplies().catch(brokerFailure(rlog));
        // Its answers travel through the broker and the reply relay, so they arrive after this.
        const run = runLocally(local, {
          transport,
          sessionId,
          id,
          type,
          payload: ctx.payload,
          principal: ctx.principal,
          deadline: ctx.deadline,
          traceparent,
          log: rlog(),
          now,
        });
        claim.start(type, ctx.deadline, run);
        deps.trackLocal(run);
      } else if (!published) {
        rlog().error('no plugin answered the request and none passed it on');
        return { ack: refusal(id, INTERNAL, type) };
      }
    } catch (error) {
      let wire = toBrowserError(error, INTERNAL);
      // The transport's message names the broker's address: not for browsers.
      if (wire.code === 'BROKER_UNAVAILABLE') wire = { code: wire.code, message: 'The gateway cannot reach the message broker; try again shortly.' };
      if (wire === INTERNAL) rlog().error({ err: error }, 'request failed inside the gateway');
      else if (log.isLevelEnabled('info')) rlog().info({ code: wire.code }, 'request rejected');
      return { ack: refusal(id, wire, type) };
    }
    deps.metrics.accepted(type);
    if (log.isLevelEnabled('info')) {
      rlog().info(
        {
          deadline: ctx.deadline,
          local: Boolean(local && !published),
          ...(frame.key === undefined ? {} : { keyed: true, attached }),
          ...(frame.fast === true ? { fast } : {}),
        },
        'request accepted',
      );
    }
    return { ack: attached ? { ok: true, id, attached: true } : { ok: true, id }, deadline: ctx.deadline };
  };

  /** Attach-only to the call a keyed frame names (its first copy was accepted already). */
  const reattach = async (frame: RequestFrame & { key: string }, traceparent: string, rlog: RequestLog): Promise<Ack> => {
    try {
      await deps.retained.start({
        id: frame.id,
        type: frame.type,
        key: frame.key,
        attach: true,
        payload: frame.payload,
        deadline: now() + Math.min(frame.timeoutMs ?? options.defaultTimeoutMs, options.maxTimeoutMs),
        traceparent,
        principal: connection.principal,
      });
      return { ok: true, id: frame.id, attached: true };
    } catch (error) {
      const wire = isWarrenError(error) ? { code: error.code, message: error.message } : INTERNAL;
      rlog().info({ code: wire.code }, 'could not re-attach a keyed request');
      return refusal(
        frame.id,
        wire.code === 'BROKER_UNAVAILABLE' ? { code: wire.code, message: 'The gateway cannot reach the message broker; try again shortly.' } : wire,
        frame.type,
      );
    }
  };

  /** `inFrame`: one slot of a `requests` frame (its ack is held the short hold, held-acks.ts). */
  return async (frame: unknown, ack: AckFn, inFrame?: boolean): Promise<void> => {
    const parsed = parseRequestFrame(frame);
    if (!parsed.ok) {
      if (deps.mayLogInvalid()) log.warn({ requestId: idOf(frame), error: parsed.error.message }, 'invalid request frame');
      return ackRefusal(ack, idOf(frame), parsed.error);
    }
    const { id, type } = parsed.value;
    const traceparent = traceparentFor(parsed.value.traceparent);
    const rlog = requestLog(log, { requestId: id, type, traceparent });
    if (parsed.value.fast === true && parsed.value.key !== undefined) {
      return ackRefusal(ack, id, { code: 'INVALID_REQUEST', message: 'A retained call (`key`) needs the durable path; send it without `fast`.' }, type);
    }
    if (parsed.value.attach === true && parsed.value.key === undefined) {
      return ackRefusal(ack, id, { code: 'INVALID_REQUEST', message: '`attach` names a retained call by its `key`; send the key too.' }, type);
    }
    if (deps.isDraining()) {
      return ackRefusal(ack, id, { code: 'SHUTTING_DOWN', message: 'This gateway is shutting down; reconnect and retry.' }, type);
    }
    const text = payloadJson(parsed.value.payload);
    if (text === NOT_JSON) {
      rlog().warn('payload is not plain JSON');
      return ackRefusal(
        ack,
        id,
        { code: 'INVALID_REQUEST', message: 'The payload must be plain JSON (no binary attachments, no deeper nesting than JSON allows).' },
        type,
      );
    }
    if (text === TOO_DEEP) {
      return ackRefusal(ack, id, { code: 'INVALID_REQUEST', message: `The payload nests arrays/objects deeper than ${MAX_BODY_DEPTH} levels.` }, type);
    }
    rememberJson(parsed.value.payload, text);
    // Claimed on arrival, before any await: a second copy of this id cannot
    // slip past while the first waits for the plugins or the broker confirm.
    const claim = deps.requests.claim(id, fingerprintOf(type, text));
    // Neither branch below runs the plugin chain (no rate limit applies), so
    // their log lines share the connection's budget for invalid frames.
    if (claim.kind === 'conflict') {
      if (deps.mayLogInvalid()) rlog().warn('request id reused for a different request');
      return ackRefusal(
        ack,
        id,
        { code: 'DUPLICATE_ID', message: `The id "${id}" was already used in this session for a different request; send it under a new id.` },
        type,
      );
    }
    if (claim.kind === 'duplicate') {
      // A re-send (lost ack, resume) or a copy racing the first: never run twice.
      if (deps.mayLogInvalid()) rlog().info("duplicate request; answering with the first copy's ack");
      const first = await claim.ack;
      // A keyed one re-sent from a new connection (a resume on this gateway):
      // its answers come from the call queue, so this connection attaches.
      const { key } = parsed.value;
      if (first.ok && key !== undefined && deps.retained.callOf(id) === undefined) {
        return ack(await reattach({ ...parsed.value, key }, traceparent, rlog));
      }
      return ack(first);
    }
    let outcome: Outcome;
    try {
      outcome = await accept(parsed.value, text, traceparent, rlog, claim);
    } catch (error) {
      rlog().error({ err: error }, 'request failed inside the gateway');
      outcome = { ack: refusal(id, INTERNAL, type) };
    }
    claim.settle(outcome.ack, outcome.deadline);
    // An ack whose call was expected (held-acks.ts) waits for its answer; any
    // other goes at once. A duplicate re-send got the first copy's plain ack above.
    if (deps.held !== undefined) deps.held.hold(id, outcome.ack, ack, inFrame);
    else void ack(outcome.ack);
  };
};
