// What serves a socket's requests, apart from the socket's listeners
// (connection.ts): one set per socket, made on first use.
import type { Logger } from 'pino';
import type { Socket } from 'socket.io';
import { CAPABILITIES, type Capability } from '@warren/protocol';
import type { ConnectionsDeps } from './connection.ts';
import { createHeldAcks } from './held-acks.ts';
import type { ConnectionRequests } from './in-flight.ts';
import type { ConnectionContext } from './plugins/types.ts';
import { socketPositions } from './queue-positions.ts';
import { createReplyRelay, type ReplyRelay } from './reply-relay.ts';
import { createRequestPipeline } from './request-pipeline.ts';
import { createRetainedCalls, type RetainedCalls } from './retained-calls.ts';

type ServingDeps = Pick<
  ConnectionsDeps,
  'transport' | 'options' | 'metrics' | 'chain' | 'positions' | 'trackRelay' | 'fast' | 'trackLocal' | 'isDraining' | 'aliasCall'
>;

/** The socket it serves, and what its connection already made. */
interface ServingTarget {
  socket: Socket;
  connection: ConnectionContext;
  sessionId: string;
  log: Logger;
  requests: ConnectionRequests;
  /** The connection's noise budget for invalid frames has room for a log line. */
  mayLogInvalid(): boolean;
  now: () => number;
}

export interface Serving {
  /** Capability `cumulative-acks` (decision 0018): response frames carry seqs, acknowledged on request frames and `acks`. */
  sequenced: boolean;
  retained: RetainedCalls;
  relay: ReplyRelay;
  handleRequest: ReturnType<typeof createRequestPipeline>;
  close(): void;
}

/** The client listed `name` among its own capabilities in its handshake `auth`. */
const asksFor = (auth: unknown, name: Capability): boolean => {
  const listed = (auth as { capabilities?: unknown } | undefined)?.capabilities;
  return Array.isArray(listed) && listed.includes(name);
};

/**
 * What serves requests: positions, retained calls, the reply relay and the
 * request pipeline, built on the socket's first request (or at once for a
 * resumed session, whose answers may be waiting). Most connections of a
 * large app sit idle; built eagerly these were half of an idle
 * connection's heap (about 50 closures and 5 Maps, issue 16).
 */
export const buildServing = (deps: ServingDeps, target: ServingTarget): Serving => {
  const { transport, options, metrics } = deps;
  const { socket, connection, sessionId, log, requests, now } = target;
  const positions = socketPositions(deps.positions, (event, frame) => socket.emit(event, frame));
  const sequenced = asksFor(socket.handshake.auth, CAPABILITIES.cumulativeAcks);
  const fastAnswers = asksFor(socket.handshake.auth, CAPABILITIES.fastAnswers);
  // The answer in the ack, for a client that asked: a response that cannot ride in its ack follows it in a frame.
  const held =
    fastAnswers || sequenced
      ? createHeldAcks({
          forward: (response, settle) => relay.send(response, settle),
          carry: (ack, settle) => relay.carry(ack, settle),
          now,
          holdMs: options.ackHoldMs,
          fastHoldMs: options.fastAckHoldMs,
        })
      : undefined;
  const relay = createReplyRelay({
    held,
    sequenced,
    onResponse: positions.answered,
    socket,
    batching: asksFor(socket.handshake.auth, CAPABILITIES.responseBatches),
    dataBytes: asksFor(socket.handshake.auth, CAPABILITIES.dataBytes),
    transport,
    options,
    sessionId,
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
    sessionId,
    connection,
    chain: deps.chain,
    requests,
    metrics,
    positions,
    onAttach: (id, call) => deps.aliasCall?.(sessionId, id, call),
    log,
  });
  const untrack = deps.trackRelay(relay);
  // A fast answer only follows a request, and a resumed session builds at
  // once: routed from here, the socket's fast answers miss nothing.
  const unroute = deps.fast.route(sessionId, relay.relayFast);
  const handleRequest = createRequestPipeline({
    transport,
    options,
    chain: deps.chain,
    requests,
    metrics,
    connection,
    sessionId,
    retained,
    positions,
    fast: deps.fast,
    held,
    holdFast: fastAnswers,
    holdDurable: sequenced,
    ensureReplies: relay.ensure,
    trackLocal: deps.trackLocal,
    isDraining: deps.isDraining,
    mayLogInvalid: target.mayLogInvalid,
    log,
    now,
  });
  const close = () => {
    unroute();
    held?.close();
    relay.close();
    retained.close();
    positions.close();
    untrack();
  };
  return { sequenced, retained, relay, handleRequest, close };
};
