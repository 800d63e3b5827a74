// Everything one connected socket does, every socket event bound here: its
// session (new or resumed), its reply relay, requests (through the plugin
// chain to the broker), cancels, client logs and registry reads. The
// connection was already admitted by the plugins' onConnect hooks (see
// admission.ts).
import type { Logger } from 'pino';
import type { Socket } from 'socket.io';
import { CAPABILITIES, createWarrenError, EVENTS, parseCancelFrame, type Capability } from '@warren/protocol';
import type { Transport } from '@warren/transport';
import type { InFlightTable } from './in-flight.ts';
import type { GatewayFastLane } from './fast-lane.ts';
import { logBudgetKey, type ClientLogWriter } from './client-log.ts';
import type { LocalRun } from './local-run.ts';
import type { GatewayMetrics } from './metrics.ts';
import type { GatewayOptions } from './options.ts';
import type { PluginChain } from './plugins/compose.ts';
import { createTokenBuckets } from './plugins/token-buckets.ts';
import type { ConnectionContext } from './plugins/types.ts';
import { createHeldAcks } from './held-acks.ts';
import { createReplyRelay, type ReplyRelay } from './reply-relay.ts';
import { answerRequests, type BatchAckFn } from './request-batch.ts';
import { createRequestPipeline, type AckFn } from './request-pipeline.ts';
import { socketPositions, type QueuePositions } from './queue-positions.ts';
import { createRetainedCalls } from './retained-calls.ts';
import { subjectOf, type Sessions } from './session-tokens.ts';

interface SocketDeps {
  transport: Transport;
  sessions: Sessions;
  /** Gateway-wide, so a caller's connections share one client-log budget. */
  clientLogs: ClientLogWriter;
  options: GatewayOptions;
  log: Logger;
  /** Gateway-wide: a request is known by its session and id, whichever socket carries them. */
  inFlight: InFlightTable;
  chain: PluginChain;
  metrics: GatewayMetrics;
  connection: ConnectionContext;
  /** Registers the connection's reply relay (readiness); returns the unregister function. */
  trackRelay(relay: ReplyRelay): () => void;
  trackLocal(run: LocalRun): void;
  isDraining(): boolean;
  /** Gateway-wide pollers of queue depth: a waiting request's place in its queue. */
  positions: QueuePositions;
  /** The call log learns that a client's id names a retained call (GET /calls/:id). */
  aliasCall?(session: string, id: string, call: string): void;
  /** Gateway-wide fast lane (decision 0016). */
  fast: GatewayFastLane;
  /** Binds the `registry` event (the service catalogue) on this socket. */
  answerRegistry(socket: Socket): void;
  now?: () => number;
}

// Cancels of ids this connection never sent, client-log frames and invalid
// frames are cheap to send and costly to honour (a broker publish, a log
// write): bounded per connection.
const NOISE_PER_SECOND = 20;
const NOISE_BURST = 50;

// Told with every session frame: a gateway from before a capability strips
// the frame fields it does not know, silently, so a client sends `key` or
// `attach` only to a gateway that lists retained calls. Listed by hand: a
// name added to CAPABILITIES is not supported until this gateway implements it.
const capabilities: readonly Capability[] = [
  CAPABILITIES.retainedCalls,
  CAPABILITIES.queuePositions,
  CAPABILITIES.responseBatches,
  CAPABILITIES.requestBatches,
  CAPABILITIES.fastAnswers,
];

/** The client listed `name` among its own capabilities in its handshake `auth`. */
const asksFor = (auth: unknown, name: Capability): boolean => {
  const listed = (auth as { capabilities?: unknown } | undefined)?.capabilities;
  return Array.isArray(listed) && listed.includes(name);
};

export const attachSocket = (socket: Socket, deps: SocketDeps) => {
  const { transport, options, connection, metrics } = deps;
  const now = deps.now ?? Date.now;
  // A token issued to another principal, or expired, starts a new session.
  const subject = subjectOf(connection.principal);
  const resumed = deps.sessions.verify((socket.handshake.auth as { session?: unknown } | undefined)?.session, subject);
  const session = resumed ? { sessionId: resumed, token: deps.sessions.refresh(resumed, subject) } : deps.sessions.create(subject);
  // Told with every session frame: a client refuses an oversize payload itself, at once.
  const limits = { maxPayloadBytes: options.maxPayloadBytes };
  const log = deps.log.child({ sessionId: session.sessionId, socketId: socket.id, principal: connection.principal?.sub });
  // Made on first use, as the request machinery below: an idle connection holds neither.
  let requestsView: ReturnType<InFlightTable['connection']> | undefined;
  const ownRequests = () => (requestsView ??= deps.inFlight.connection(session.sessionId));
  let noiseBuckets: ReturnType<typeof createTokenBuckets> | undefined;
  const noise = { take: (key: string) => (noiseBuckets ??= createTokenBuckets(NOISE_PER_SECOND, NOISE_BURST, now)).take(key) };

  /**
   * What serves requests: positions, retained calls, the reply relay and the
   * request pipeline, built on the socket's first request (or at once for a
   * resumed session, whose answers may be waiting). Most connections of a
   * large app sit idle; built eagerly these were half of an idle
   * connection's heap (about 50 closures and 5 Maps, issue 16).
   */
  const build = () => {
    const requests = ownRequests();
    const positions = socketPositions(deps.positions, (event, frame) => socket.emit(event, frame));
    // The answer in the ack, for a client that asked: a response that cannot ride in its ack follows it in a frame.
    const held = asksFor(socket.handshake.auth, CAPABILITIES.fastAnswers) ? createHeldAcks({ forward: (response) => relay.send(response), now }) : undefined;
    const relay = createReplyRelay({
      held,
      onResponse: positions.answered,
      socket,
      batching: asksFor(socket.handshake.auth, CAPABILITIES.responseBatches),
      transport,
      options,
      sessionId: session.sessionId,
      log,
      now,
      chain: deps.chain,
      connection,
      requests,
      metrics,
    });
    const retained = createRetainedCalls({
      send: relay.send,
      transport,
      namespace: options.namespace,
      retentionMs: options.callRetentionMs,
      sessionId: session.sessionId,
      connection,
      chain: deps.chain,
      requests,
      metrics,
      positions,
      onAttach: (id, call) => deps.aliasCall?.(session.sessionId, id, call),
      log,
    });
    const untrack = deps.trackRelay(relay);
    const handleRequest = createRequestPipeline({
      transport,
      options,
      chain: deps.chain,
      requests,
      metrics,
      connection,
      sessionId: session.sessionId,
      retained,
      positions,
      fast: deps.fast,
      held,
      ensureReplies: relay.ensure,
      trackLocal: deps.trackLocal,
      isDraining: deps.isDraining,
      mayLogInvalid: () => noise.take('invalid') === 0,
      log,
      now,
    });
    const close = () => {
      held?.close();
      relay.close();
      retained.close();
      positions.close();
      untrack();
    };
    return { retained, relay, handleRequest, close };
  };
  let active: ReturnType<typeof build> | undefined;
  let gone = false;
  const serving = () => (active ??= build());

  // A fast answer can only follow a request, which built the relay already.
  const unroute = deps.fast.route(session.sessionId, (response, bytes) => active?.relay.relayFast(response, bytes));
  socket.emit(EVENTS.session, { ...session, limits, capabilities });
  // Refreshed while connected: a token only expires once its session is unused.
  const refresher = setInterval(
    () => {
      socket.emit(EVENTS.session, { sessionId: session.sessionId, token: deps.sessions.refresh(session.sessionId, subject), limits, capabilities });
    },
    Math.max(1000, Math.floor(deps.sessions.ttlMs / 3)),
  );
  refresher.unref?.();
  log.info({ resumed: Boolean(resumed) }, 'socket connected');
  if (resumed)
    serving()
      .relay.ensure()
      .catch((error) => log.warn({ err: (error as Error).message }, 'could not resume replies'));

  socket.on(EVENTS.request, (frame: unknown, maybeAck: unknown) => {
    const ack: AckFn = typeof maybeAck === 'function' ? (maybeAck as AckFn) : () => {};
    if (typeof maybeAck !== 'function') log.warn('request frame without an ack callback');
    if (gone) return; // a frame that raced the disconnect: nothing may be built for a closed socket
    serving()
      .handleRequest(frame, ack)
      .catch((error) => log.error({ err: error }, 'request handling failed'));
  });

  // Several request frames in one (capability request-batches): each element
  // as the listener above handles one frame, one ack for all of them.
  socket.on(EVENTS.requests, (frames: unknown, maybeAck: unknown) => {
    const ack: BatchAckFn = typeof maybeAck === 'function' ? (maybeAck as BatchAckFn) : () => {};
    if (typeof maybeAck !== 'function') log.warn('requests frame without an ack callback');
    if (gone) return;
    const { handleRequest } = serving();
    answerRequests(frames, ack, {
      handleRequest,
      refused: (error) => {
        metrics.rejected(error.code);
        if (noise.take('invalid') === 0) log.warn({ error: error.message }, 'invalid requests frame');
      },
      failed: (error) => log.error({ err: error }, 'request handling failed'),
    });
  });

  const onCancel = async (frame: unknown): Promise<void> => {
    const parsed = parseCancelFrame(frame);
    if (!parsed.ok) return log.warn({ error: parsed.error.message }, 'invalid cancel frame');
    const { id, type } = parsed.value;
    const call = active?.retained.callOf(id);
    if (call !== undefined) {
      // A retained call's request went out as id = session = call: so the cancel names it, whoever attached.
      return transport
        .publishCancel(type, { id: call, session: call })
        .then(() => log.info({ requestId: id, call, type }, 'cancel of a retained call forwarded'))
        .catch((error: Error) => log.warn({ requestId: id, call, err: error.message }, 'cancel could not be forwarded'));
    }
    const local = requestsView?.local(id);
    if (local) {
      log.info({ requestId: id, type }, 'cancel of a local request');
      return local.abort(createWarrenError('CANCELLED', 'The request was cancelled.'));
    }
    const ours = requestsView?.has(id) ?? false;
    if (!ours && noise.take('cancel') > 0) return log.debug({ requestId: id }, 'dropping a cancel flood');
    try {
      // The session travels with the cancel: workers only abort a request of
      // the same session, so nobody can cancel another client's request.
      await transport.publishCancel(type, { id, session: session.sessionId });
      log.info({ requestId: id, type }, 'cancel forwarded');
    } catch (error) {
      log.warn({ requestId: id, err: (error as Error).message }, 'cancel could not be forwarded');
    }
  };
  // Not socket.on: socket.io hands those listeners an event a tick after it
  // reads it, and drops it when the socket disconnected meanwhile. A client
  // that cancels then closes (`warren call` on Ctrl-C, backend.close() with
  // calls in flight) often has both frames read at once: the cancel was lost
  // and the worker ran on. onAny listeners run as the frame is read.
  socket.onAny((event: unknown, frame: unknown) => {
    if (event === EVENTS.cancel) onCancel(frame).catch((error: Error) => log.warn({ err: error.message }, 'cancel handling failed'));
  });

  const logKey = logBudgetKey(connection);
  socket.on(EVENTS.clientLog, (frame: unknown) => {
    if (noise.take('log') > 0) return;
    if (!deps.clientLogs.write(log, frame, logKey)) log.debug('invalid client-log frame');
  });

  deps.answerRegistry(socket);

  socket.on('disconnect', (reason) => {
    gone = true;
    clearInterval(refresher);
    unroute();
    active?.close();
    requestsView?.close();
    deps.chain.disconnect(connection, reason);
    log.info({ reason }, 'socket disconnected');
  });
};
