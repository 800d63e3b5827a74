// The answer in the ack (capability `fast-answers`, decision 0016): for a
// client that asked, the ack of a request that took the fast lane waits for
// the call's first response, at most the fast hold (option fastAckHoldMs,
// FAST_ACK_HOLD_MS by default), and carries it. A fast echo then costs 2
// WebSocket frames instead of 4 (request, ack; not also a response frame
// and the browser's ack of it), and frames are the gateway's
// largest cost (decision 0015). The same for a durable request's ack (after
// the broker confirm) to a client that asked for `cumulative-acks` (decision
// 0018), at most the short hold (option ackHoldMs, ACK_HOLD_MS): its response comes with the `settle` of its delivery, which is
// handed on with the ack (`carry`) and runs only once the browser
// acknowledged the ack's seq. One per connection: nothing here outlives its
// socket; what it dropped was never settled, so the broker redelivers it.
import { ACK_HOLD_MS, FAST_ACK_HOLD_MS, type Ack, type Response } from '@warren/protocol';

/** Writes an ack; a promise when the ack is written later (a `requests` frame's slot), resolved once it is. */
type HeldAckFn = (ack: Ack) => void | Promise<void>;

interface HeldAcksDeps {
  /**
   * A response of a call whose ack went out (or was refused) without it: to
   * the socket's frames, in order. `settle`: a durable response's delivery.
   */
  forward(response: Response, settle?: () => void): void;
  /**
   * A durable response rides in `ack` (the object about to be written):
   * `settle` runs once the browser acknowledged it (reply-relay.ts stamps
   * the ack with its seq when it is written).
   */
  carry?(ack: Ack, settle: () => void): void;
  /** The gateway's ackHoldMs: a durable request's hold, and a `requests` frame slot's. @default ACK_HOLD_MS */
  holdMs?: number;
  /** The gateway's fastAckHoldMs: a fast request's hold (in a `request` frame of its own). @default FAST_ACK_HOLD_MS */
  fastHoldMs?: number;
  now?: () => number;
  /** Runs `fire` after about `ms`; returns what cancels it. @default setTimeout */
  schedule?: (fire: () => void, ms: number) => () => void;
}

export interface HeldAcks {
  /** The request `id` (`fast`, or durable for cumulative-acks) is about to be published: its responses wait for its ack from now on. */
  expect(id: string, fast: boolean): void;
  /**
   * The request's ack: sent at once with the first response if one came,
   * else held until one comes or the hold ends. A refusal goes at once.
   * `inFrame`: a slot of a `requests` frame, held the short hold whatever
   * its lane (the frame's other slots, and the answers in their acks, wait
   * for it).
   */
  hold(id: string, ack: Ack, send: HeldAckFn, inFrame?: boolean): void;
  /**
   * A response (after the plugins and metrics saw it): true when it waits
   * for, or rode in, its call's ack. `settle`: a durable one's delivery.
   */
  answer(response: Response, settle?: () => void): boolean;
  /** The socket is gone: nothing held can be written (a fast call is at most once; a durable response stays unsettled). */
  close(): void;
}

interface Answer {
  response: Response;
  settle: (() => void) | undefined;
}

interface Entry {
  id: string;
  fast: boolean;
  /** Responses that came before the ack was written, oldest first. */
  responses: Answer[];
  /** 'expect': publishing; 'held': the ack waits for a response; 'sending': the ack is on its way, later responses wait for it. */
  state: 'expect' | 'held' | 'sending';
  ack?: Ack;
  send?: HeldAckFn;
}

const defaultSchedule = (fire: () => void, ms: number) => {
  const timer = setTimeout(fire, ms);
  return () => clearTimeout(timer);
};

export const createHeldAcks = (deps: HeldAcksDeps): HeldAcks => {
  const holdMs = deps.holdMs ?? ACK_HOLD_MS;
  const fastHoldMs = deps.fastHoldMs ?? FAST_ACK_HOLD_MS;
  const now = deps.now ?? Date.now;
  const schedule = deps.schedule ?? defaultSchedule;
  const entries = new Map<string, Entry>();
  // When each held ack is due, in the order they were held, one map per hold
  // length: within one, the order they were held is the order they fall due
  // (a short hold started later may end before a long one started earlier,
  // which is why they are not in one map). One timer serves both, armed for
  // the earlier of their heads.
  const dueShort = new Map<string, number>();
  const dueLong = new Map<string, number>();
  let cancelTimer: (() => void) | undefined;
  let closed = false;

  const finish = (entry: Entry) => {
    if (entries.get(entry.id) !== entry) return;
    entries.delete(entry.id);
    if (!closed) for (const { response, settle } of entry.responses) deps.forward(response, settle);
  };

  /** Writes the ack (with `answer` when given); later responses follow once it is written. */
  // The answer as two arguments, not an Answer object: none is made for a response that finds its ack held (issue 16).
  const deliver = (entry: Entry, response?: Response, settle?: () => void) => {
    entry.state = 'sending';
    dueShort.delete(entry.id);
    dueLong.delete(entry.id);
    let ack = entry.ack!;
    if (response !== undefined && ack.ok) {
      ack = { ...ack, response };
      if (settle !== undefined) deps.carry?.(ack, settle);
    }
    const written = entry.send!(ack);
    if (written === undefined) finish(entry);
    else void written.then(() => finish(entry));
  };

  // When the timer fires; never later than any due ack (a new one falling
  // due earlier re-arms it: a short hold held after a long one ends first).
  let armedFor = Number.POSITIVE_INFINITY;
  const armFor = (at: number) => {
    cancelTimer?.();
    armedFor = at;
    cancelTimer = schedule(sweep, Math.max(0, at - now()));
  };
  const headOf = (due: Map<string, number>) => {
    const first = due.values().next();
    return first.done ? Number.POSITIVE_INFINITY : first.value;
  };
  /** Sends the plain acks of `due` whose hold ended by `t`. */
  const release = (due: Map<string, number>, t: number) => {
    for (const [id, at] of due) {
      if (at > t) break;
      due.delete(id);
      const entry = entries.get(id);
      if (entry?.state === 'held') deliver(entry);
    }
  };
  const sweep = () => {
    cancelTimer = undefined;
    armedFor = Number.POSITIVE_INFINITY;
    const t = now();
    release(dueShort, t);
    release(dueLong, t);
    const next = Math.min(headOf(dueShort), headOf(dueLong));
    if (next !== Number.POSITIVE_INFINITY && !closed) armFor(next);
  };

  return {
    expect(id, fast) {
      if (!closed) entries.set(id, { id, fast, responses: [], state: 'expect' });
    },
    hold(id, ack, send, inFrame = false) {
      const entry = entries.get(id);
      if (entry === undefined || entry.state !== 'expect') {
        void send(ack);
        return;
      }
      entry.ack = ack;
      entry.send = send;
      // A refusal (the publish failed) or a response already here: nothing to wait for.
      if (!ack.ok || entry.responses.length > 0) {
        const first = ack.ok ? entry.responses.shift() : undefined;
        return deliver(entry, first?.response, first?.settle);
      }
      entry.state = 'held';
      const long = entry.fast && !inFrame;
      const at = now() + (long ? fastHoldMs : holdMs);
      (long ? dueLong : dueShort).set(id, at);
      if (at < armedFor) armFor(at);
    },
    answer(response, settle) {
      const entry = entries.get(response.id);
      if (entry === undefined) return false;
      if (entry.state === 'held') deliver(entry, response, settle);
      else entry.responses.push({ response, settle });
      return true;
    },
    close() {
      closed = true;
      cancelTimer?.();
      cancelTimer = undefined;
      armedFor = Number.POSITIVE_INFINITY;
      entries.clear();
      dueShort.clear();
      dueLong.clear();
    },
  };
};
