// Everything a connected socket does, every socket event bound here: its
// session (new or resumed), its reply relay, requests (through the plugin
// chain to the broker), cancels, client logs and registry reads. The
// connection was already admitted by the plugins' onConnect hooks (see
// admission.ts).
//
// Most connections of a large app sit idle (issue 16: 10,000 at ≤ 20 KB
// each), so an idle one holds one small record: the listeners are one set of
// functions for every socket (Socket.IO calls them with the socket as
// `this`), its log child, noise budget and request machinery are made on
// first use, and one timer refreshes every socket's session token.
import type { Logger } from 'pino';
import type { Socket } from 'socket.io';
import { CAPABILITIES, createWarrenError, EVENTS, parseCancelFrame, type Ack, type Capability } from '@warren/protocol';
import type { Transport } from '@warren/transport';
import type { ConnectionRequests, InFlightTable } from './in-flight.ts';
import type { GatewayFastLane } from './fast-lane.ts';
import { logBudgetKey, type ClientLogWriter } from './client-log.ts';
import type { LocalRun } from './local-run.ts';
import type { GatewayMetrics } from './metrics.ts';
import type { GatewayOptions } from './options.ts';
import type { PluginChain } from './plugins/compose.ts';
import { createTokenBuckets } from './plugins/token-buckets.ts';
import { createPeriodic } from './periodic.ts';
import type { ConnectionContext } from './plugins/types.ts';
import type { ReplyRelay } from './reply-relay.ts';
import { answerRequests, type BatchAckFn } from './request-batch.ts';
import type { AckFn } from './request-pipeline.ts';
import { buildServing, type Serving } from './serving.ts';
import type { QueuePositions } from './queue-positions.ts';
import { subjectOf, type Sessions } from './session-tokens.ts';

export interface ConnectionsDeps {
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
  /** Binds the `registry` event (the service catalogue) on a socket. */
  answerRegistry(socket: Socket): void;
  now?: () => number;
}

// Cancels of ids this connection never sent, client-log frames and invalid
// frames are cheap to send and costly to honour (a broker publish, a log
// write): bounded per connection (one gateway-wide table, keyed by socket).
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
  CAPABILITIES.cumulativeAcks,
  CAPABILITIES.dataBytes,
];

/** What one socket holds while it is connected; the rest is made on first use. */
interface SocketState {
  readonly socket: Socket;
  /** Admitted by the plugins' onConnect hooks (admission.ts). */
  readonly connection: ConnectionContext;
  readonly sessionId: string;
  /** What the session is bound to (subjectOf), for its refreshed tokens. */
  readonly subject: string;
  log: Logger | undefined;
  /** This connection's view of the in-flight table. */
  requests: ConnectionRequests | undefined;
  /** What serves requests (built on the first one). */
  active: Serving | undefined;
  /** Disconnected: a frame that raced the disconnect builds nothing. */
  gone: boolean;
}

/** Binds a connected socket's events; one set of listeners for all of the gateway's sockets. */
export const createConnections = (deps: ConnectionsDeps): ((socket: Socket) => void) => {
  const { transport, options, metrics } = deps;
  const now = deps.now ?? Date.now;
  const states = new WeakMap<Socket, SocketState>();
  // Told with every session frame: a client refuses an oversize payload itself, at once.
  const limits = { maxPayloadBytes: options.maxPayloadBytes };
  // Keyed by socket and kind ('invalid', 'cancel', 'log'); full buckets are forgotten.
  const noiseBuckets = createTokenBuckets(NOISE_PER_SECOND, NOISE_BURST, now);
  const noise = (state: SocketState, kind: string) => noiseBuckets.take(`${kind} ${state.socket.id}`);

  /** What the socket's log lines carry; its child logger is made when a line needs it. */
  const bindings = ({ sessionId, socket, connection }: SocketState) => ({ sessionId, socketId: socket.id, principal: connection.principal?.sub });
  const logOf = (state: SocketState) => (state.log ??= deps.log.child(bindings(state)));
  const ownRequests = (state: SocketState) => (state.requests ??= deps.inFlight.connection(state.sessionId));

  // Refreshed while connected: a token only expires once its session is unused.
  const refresher = createPeriodic<SocketState>(Math.max(1000, Math.floor(deps.sessions.ttlMs / 3)), ({ socket, sessionId, subject }) => {
    socket.emit(EVENTS.session, { sessionId, token: deps.sessions.refresh(sessionId, subject), limits, capabilities });
  });

  const serving = (state: SocketState) =>
    (state.active ??= buildServing(deps, {
      socket: state.socket,
      connection: state.connection,
      sessionId: state.sessionId,
      log: logOf(state),
      requests: ownRequests(state),
      mayLogInvalid: () => noise(state, 'invalid') === 0,
      now,
    }));

  /** A cumulative response ack (on a request frame, or an `acks` frame): a bogus one is ignored. */
  const acked = (state: SocketState, upTo: unknown) => {
    if (state.active?.relay.acked(upTo) !== true) logOf(state).debug({ acks: typeof upTo === 'number' ? upTo : typeof upTo }, 'ignoring a bogus response ack');
  };

  // The listeners: Socket.IO calls each with the socket as `this`, whose state is in `states`.
  // `request` (frame, ack) or, from a cumulative-acks client, (frame, acks, ack).
  function onRequest(this: Socket, frame: unknown, second: unknown, third: unknown) {
    const state = states.get(this);
    if (state === undefined) return;
    const maybeAck = typeof second === 'function' ? second : third;
    if (state.gone) return; // a frame that raced the disconnect: nothing may be built for a closed socket
    if (second !== maybeAck && second !== undefined) acked(state, second);
    const reply = typeof maybeAck === 'function' ? (maybeAck as AckFn) : undefined;
    if (reply === undefined) logOf(state).warn('request frame without an ack callback');
    const active = serving(state);
    // An ack that carries a durable response gets its seq as it is written, so seqs go out in order (stamp).
    const ack: AckFn = reply === undefined ? () => {} : active.sequenced ? (answer) => reply(active.relay.stamp(answer)) : reply;
    active.handleRequest(frame, ack).catch((error) => logOf(state).error({ err: error }, 'request handling failed'));
  }

  // Several request frames in one (capability request-batches): each element
  // as onRequest handles one frame, one ack for all of them.
  function onRequests(this: Socket, frames: unknown, second: unknown, third: unknown) {
    const state = states.get(this);
    if (state === undefined) return;
    const maybeAck = typeof second === 'function' ? second : third;
    if (state.gone) return;
    if (second !== maybeAck && second !== undefined) acked(state, second);
    const reply = typeof maybeAck === 'function' ? (maybeAck as BatchAckFn) : undefined;
    if (reply === undefined) logOf(state).warn('requests frame without an ack callback');
    const { handleRequest, sequenced, relay } = serving(state);
    const stamp = (answer: Ack) => relay.stamp(answer);
    const ack: BatchAckFn =
      reply === undefined
        ? () => {}
        : sequenced
          ? (answer) => {
              if (Array.isArray(answer)) for (const one of answer) stamp(one);
              else stamp(answer);
              reply(answer);
            }
          : reply;
    answerRequests(frames, ack, {
      handleRequest,
      refused: (error) => {
        metrics.rejected(error.code);
        if (noise(state, 'invalid') === 0) logOf(state).warn({ error: error.message }, 'invalid requests frame');
      },
      failed: (error) => logOf(state).error({ err: error }, 'request handling failed'),
    });
  }

  // A cumulative response ack alone (no request followed within ACK_DELAY_MS).
  const onAcks = (state: SocketState, upTo: unknown) => {
    if (!state.gone) acked(state, upTo);
  };

  const onCancel = async (state: SocketState, frame: unknown): Promise<void> => {
    const log = logOf(state);
    const parsed = parseCancelFrame(frame);
    if (!parsed.ok) return log.warn({ error: parsed.error.message }, 'invalid cancel frame');
    const { id, type } = parsed.value;
    const call = state.active?.retained.callOf(id);
    if (call !== undefined) {
      // A retained call's request went out as id = session = call: so the cancel names it, whoever attached.
      return transport
        .publishCancel(type, { id: call, session: call })
        .then(() => log.info({ requestId: id, call, type }, 'cancel of a retained call forwarded'))
        .catch((error: Error) => log.warn({ requestId: id, call, err: error.message }, 'cancel could not be forwarded'));
    }
    const local = state.requests?.local(id);
    if (local) {
      log.info({ requestId: id, type }, 'cancel of a local request');
      return local.abort(createWarrenError('CANCELLED', 'The request was cancelled.'));
    }
    const ours = state.requests?.has(id) ?? false;
    if (!ours && noise(state, 'cancel') > 0) return log.debug({ requestId: id }, 'dropping a cancel flood');
    try {
      // The session travels with the cancel: workers only abort a request of
      // the same session, so nobody can cancel another client's request.
      await transport.publishCancel(type, { id, session: state.sessionId });
      log.info({ requestId: id, type }, 'cancel forwarded');
    } catch (error) {
      log.warn({ requestId: id, err: (error as Error).message }, 'cancel could not be forwarded');
    }
  };

  const onClientLog = (state: SocketState, frame: unknown) => {
    if (noise(state, 'log') > 0) return;
    const log = logOf(state);
    if (!deps.clientLogs.write(log, frame, logBudgetKey(state.connection))) log.debug('invalid client-log frame');
  };

  // The frames a closing client sends last (its cancels, its last acks and
  // log lines), read here rather than by socket.on listeners: socket.io hands
  // those an event a tick after it reads it, and drops it when the socket
  // disconnected meanwhile. A client that cancels then closes (`warren call`
  // on Ctrl-C, backend.close() with calls in flight) often has both frames
  // read at once: the cancel was lost and the worker ran on. onAny listeners
  // run as the frame is read, with the socket as `this`.
  function onFrame(this: Socket, event: unknown, frame: unknown) {
    const state = states.get(this);
    if (state === undefined) return;
    if (event === EVENTS.cancel) onCancel(state, frame).catch((error: Error) => logOf(state).warn({ err: error.message }, 'cancel handling failed'));
    else if (event === EVENTS.acks) onAcks(state, frame);
    else if (event === EVENTS.clientLog) onClientLog(state, frame);
  }

  function onDisconnect(this: Socket, reason: string) {
    const state = states.get(this);
    if (state === undefined) return;
    state.gone = true;
    refresher.delete(state);
    state.active?.close();
    state.requests?.close();
    deps.chain.disconnect(state.connection, reason);
    // Logged through the gateway's logger with the socket's fields: an idle socket never needed its own child.
    (state.log ?? deps.log).info(state.log ? { reason } : { ...bindings(state), reason }, 'socket disconnected');
  }

  return (socket) => {
    const connection = socket.data.connection as ConnectionContext;
    // A token issued to another principal, or expired, starts a new session.
    const subject = subjectOf(connection.principal);
    const resumed = deps.sessions.verify((socket.handshake.auth as { session?: unknown } | undefined)?.session, subject);
    const session = resumed ? { sessionId: resumed, token: deps.sessions.refresh(resumed, subject) } : deps.sessions.create(subject);
    const state: SocketState = {
      socket,
      connection,
      sessionId: session.sessionId,
      subject,
      log: undefined,
      requests: undefined,
      active: undefined,
      gone: false,
    };
    states.set(socket, state);
    socket.emit(EVENTS.session, { ...session, limits, capabilities });
    refresher.add(state);
    deps.log.info({ ...bindings(state), resumed: Boolean(resumed) }, 'socket connected');
    if (resumed)
      serving(state)
        .relay.ensure()
        .catch((error) => logOf(state).warn({ err: (error as Error).message }, 'could not resume replies'));
    socket.on(EVENTS.request, onRequest);
    socket.on(EVENTS.requests, onRequests);
    socket.onAny(onFrame);
    deps.answerRegistry(socket);
    socket.on('disconnect', onDisconnect);
  };
};
