// Everything one connected socket does: its session (new or resumed), its
// reply-queue consumer, requests (validated, published, acked), cancels and
// client logs. Responses are settled on the broker only after the browser
// acked them, so nothing is lost between RabbitMQ and the browser.
import type { Logger } from 'pino';
import type { Socket } from 'socket.io';
import {
  EVENTS,
  parseCancelFrame,
  parseRequestFrame,
  toWireError,
  type Ack,
  type WireError,
} from '@warren/protocol';
import type { Subscription, Transport } from '@warren/transport';
import type { AcceptedRequests } from './accepted-requests.ts';
import { writeClientLog } from './client-log.ts';
import type { GatewayOptions } from './options.ts';
import type { Sessions } from './session.ts';

export interface SocketDeps {
  transport: Transport;
  sessions: Sessions;
  options: GatewayOptions;
  log: Logger;
  accepted: AcceptedRequests;
  isDraining(): boolean;
  now?: () => number;
}

type AckFn = (ack: Ack) => void;

const idOf = (frame: unknown) =>
  frame !== null && typeof frame === 'object' && typeof (frame as { id?: unknown }).id === 'string'
    ? ((frame as { id: string }).id.slice(0, 128))
    : undefined;

export const attachSocket = (socket: Socket, deps: SocketDeps) => {
  const { transport, options } = deps;
  const now = deps.now ?? Date.now;
  const resumed = deps.sessions.verify((socket.handshake.auth as { session?: unknown } | undefined)?.session);
  const session = resumed ? { sessionId: resumed, token: String(socket.handshake.auth.session) } : deps.sessions.create();
  const log = deps.log.child({ sessionId: session.sessionId, socketId: socket.id });
  let replies: Promise<Subscription> | null = null;
  let closed = false;

  // Responses emitted but not yet acked by the browser, oldest first. Prefetch
  // bounds how many; this bounds for how long, so a tab that stopped reading is
  // disconnected and its responses wait in RabbitMQ, not in gateway memory.
  const unacked = new Map<number, number>();
  let emitted = 0;
  let stallTimer: ReturnType<typeof setInterval> | undefined;
  const watchStall = () => {
    stallTimer ??= setInterval(() => {
      const oldest = unacked.values().next();
      if (oldest.done) {
        clearInterval(stallTimer);
        stallTimer = undefined;
        return;
      }
      if (now() - oldest.value > options.ackTimeoutMs) {
        log.warn({ unacked: unacked.size, ackTimeoutMs: options.ackTimeoutMs }, 'client stopped acking responses; disconnecting it');
        socket.disconnect(true);
      }
    }, Math.max(250, Math.floor(options.ackTimeoutMs / 4)));
  };

  // Lazily for new sessions (idle sockets cost the broker nothing); at once for
  // resumed ones, whose queue may hold responses that arrived while away.
  const ensureReplies = () =>
    (replies ??= transport
      .consumeReplies(
        session.sessionId,
        (response, settle) => {
          if (closed) return; // unsettled: the broker requeues it for the next socket
          const n = emitted++;
          unacked.set(n, now());
          watchStall();
          socket.emit(EVENTS.response, response, () => {
            unacked.delete(n);
            settle();
          });
        },
        { prefetch: options.replyPrefetch },
      )
      .catch((error) => {
        replies = null;
        throw error;
      }));

  socket.emit(EVENTS.session, session);
  log.info({ resumed: Boolean(resumed) }, 'socket connected');
  if (resumed) ensureReplies().catch((error) => log.warn({ err: (error as Error).message }, 'could not resume replies'));

  const reject = (ack: AckFn, id: string | undefined, error: WireError) =>
    ack(id === undefined ? { ok: false, error } : { ok: false, id, error });

  socket.on(EVENTS.request, async (frame: unknown, maybeAck: unknown) => {
    const ack: AckFn = typeof maybeAck === 'function' ? (maybeAck as AckFn) : () => {};
    if (typeof maybeAck !== 'function') log.warn('request frame without an ack callback');
    const parsed = parseRequestFrame(frame);
    if (!parsed.ok) {
      log.warn({ requestId: idOf(frame), error: parsed.error.message }, 'invalid request frame');
      return reject(ack, idOf(frame), parsed.error);
    }
    const { id, type, payload, timeoutMs, traceparent } = parsed.value;
    const rlog = log.child({ requestId: id, type });
    if (deps.isDraining()) {
      return reject(ack, id, { code: 'SHUTTING_DOWN', message: 'This gateway is shutting down; reconnect and retry.' });
    }
    if (deps.accepted.has(session.sessionId, id)) {
      // A re-send after a lost ack: accepted already, must not run twice.
      rlog.info('duplicate request; already accepted');
      return ack({ ok: true, id });
    }
    try {
      await ensureReplies();
      const deadline = now() + Math.min(timeoutMs ?? options.defaultTimeoutMs, options.maxTimeoutMs);
      await transport.publishRequest({
        id,
        type,
        payload,
        session: session.sessionId,
        deadline,
        ...(traceparent === undefined ? {} : { traceparent }),
      });
      deps.accepted.add(session.sessionId, id, deadline);
      rlog.info({ deadline }, 'request accepted');
      ack({ ok: true, id });
    } catch (error) {
      const wire = toWireError(error, 'INTERNAL');
      if (wire.code === 'INTERNAL') rlog.error({ err: error }, 'request failed inside the gateway');
      else rlog.info({ code: wire.code }, 'request rejected');
      reject(ack, id, wire.code === 'INTERNAL' ? { code: 'INTERNAL', message: 'The gateway failed to accept the request.' } : wire);
    }
  });

  socket.on(EVENTS.cancel, async (frame: unknown) => {
    const parsed = parseCancelFrame(frame);
    if (!parsed.ok) return log.warn({ error: parsed.error.message }, 'invalid cancel frame');
    const { id, type } = parsed.value;
    try {
      // The session travels with the cancel: workers only abort a request of
      // the same session, so nobody can cancel another client's request.
      await transport.publishCancel(type, { id, session: session.sessionId });
      log.info({ requestId: id, type }, 'cancel forwarded');
    } catch (error) {
      log.warn({ requestId: id, err: (error as Error).message }, 'cancel could not be forwarded');
    }
  });

  socket.on(EVENTS.clientLog, (frame: unknown) => {
    if (!writeClientLog(log, frame)) log.debug('invalid client-log frame');
  });

  socket.on('disconnect', (reason) => {
    closed = true;
    clearInterval(stallTimer);
    log.info({ reason }, 'socket disconnected');
    // Closing the consumer hands unacked responses back to the session queue,
    // where the client's next connection (on any gateway) picks them up.
    void replies?.then((s) => s.close()).catch(() => {});
  });
};
