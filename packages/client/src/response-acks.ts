// Cumulative response acks (capability `cumulative-acks`, decision 0018). A
// gateway that supports them sends response frames without an ack callback
// but with a per-socket seq, and a durable answer inside its request's ack
// with one. The client acknowledges "everything up to seq N" on its next
// request frame (request-frames.ts takes it as the frame goes out) or, when
// none goes out within ACK_DELAY_MS, in an `acks` frame of its own. A
// steady echo then costs 2 WebSocket frames, not 4: the gateway's largest
// cost per request (decision 0015). Seqs are per socket: a dropped one's
// unacknowledged responses come again on the next (the gateway never
// settled them).
import { ACK_DELAY_MS, EVENTS } from '@warren/protocol';

interface ResponseAcksDeps {
  /** socket.emit. */
  emit(event: string, ...args: unknown[]): void;
  isConnected(): boolean;
  /** @default ACK_DELAY_MS */
  delayMs?: number;
  /** Runs `fire` after about `ms`; returns what cancels it. @default setTimeout */
  schedule?: (fire: () => void, ms: number) => () => void;
}

export interface ResponseAcks {
  /** A seq the gateway sent (a response frame's second argument, an ack's `seq`); anything but a positive integer is ignored. */
  received(seq: unknown): void;
  /** The seq a request frame going out now acknowledges, when one is owed (it is then no longer owed). */
  take(): number | undefined;
  /** Sends what is owed now, alone (the backend is closing: no request will carry it). */
  flush(): void;
  /** The socket dropped (or the backend closed): seqs start again on the next socket. */
  reset(): void;
}

const defaultSchedule = (fire: () => void, ms: number) => {
  const timer = setTimeout(fire, ms);
  return () => clearTimeout(timer);
};

export const createResponseAcks = (deps: ResponseAcksDeps): ResponseAcks => {
  const delayMs = deps.delayMs ?? ACK_DELAY_MS;
  const schedule = deps.schedule ?? defaultSchedule;
  // The highest seq received on this socket, and the highest acknowledged.
  let highest = 0;
  let reported = 0;
  let cancelTimer: (() => void) | undefined;

  const stopTimer = () => {
    cancelTimer?.();
    cancelTimer = undefined;
  };

  const take = (): number | undefined => {
    if (highest <= reported) return undefined;
    stopTimer();
    reported = highest;
    return highest;
  };

  const alone = () => {
    stopTimer();
    if (!deps.isConnected()) return;
    const upTo = take();
    if (upTo === undefined) return;
    try {
      deps.emit(EVENTS.acks, upTo);
    } catch {
      // never throw from a timer; a later ack covers these seqs too
    }
  };

  return {
    received(seq) {
      if (typeof seq !== 'number' || !Number.isInteger(seq) || seq <= highest) return;
      highest = seq;
      cancelTimer ??= schedule(alone, delayMs);
    },
    take,
    flush: alone,
    reset() {
      stopTimer();
      highest = 0;
      reported = 0;
    },
  };
};
