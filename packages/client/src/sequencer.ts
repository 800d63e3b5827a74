// Puts one request's responses back in order. The gateway may redeliver a
// response (client reconnected before acking) or deliver one out of order
// (requeued after a lost ack), and a worker crash starts a new attempt.
import type { Response } from '@warren/protocol';

export type SequencerEvent =
  /** A higher attempt began: whatever the caller showed is stale. */
  | { kind: 'restart'; attempt: number }
  /** The next response in order; a final one ends the request. */
  | { kind: 'deliver'; response: Response }
  /** Too many responses held waiting for a gap to fill. */
  | { kind: 'overflow'; held: number };

export interface Sequencer {
  /** Feeds one response; returns what to act on, in order (often nothing). */
  accept(response: Response): SequencerEvent[];
  /** Attempt currently shown (1 until a response says otherwise). */
  attempt(): number;
}

/** @default 256 responses held at most per request. */
const DEFAULT_MAX_HELD = 256;

export const createSequencer = (maxHeld: number = DEFAULT_MAX_HELD): Sequencer => {
  // Attempt 1 is assumed from the start, so a first response of attempt 2
  // still reports a restart: the caller learns a worker was lost.
  let attempt = 1;
  let nextSeq = 0;
  let finished = false;
  const held = new Map<number, Response>();

  const accept = (response: Response): SequencerEvent[] => {
    if (finished || response.attempt < attempt) return [];
    const events: SequencerEvent[] = [];
    if (response.attempt > attempt) {
      attempt = response.attempt;
      nextSeq = 0;
      held.clear();
      events.push({ kind: 'restart', attempt });
    }
    if (response.seq < nextSeq || held.has(response.seq)) return events;
    if (response.seq > nextSeq) {
      if (held.size >= maxHeld) {
        finished = true;
        events.push({ kind: 'overflow', held: held.size });
        return events;
      }
      held.set(response.seq, response);
      return events;
    }
    // In order: deliver it, then everything held that now follows on.
    let current: Response | undefined = response;
    while (current !== undefined) {
      held.delete(current.seq);
      events.push({ kind: 'deliver', response: current });
      nextSeq = current.seq + 1;
      if (current.kind !== 'chunk') {
        finished = true;
        held.clear();
        break;
      }
      current = held.get(nextSeq);
    }
    return events;
  };

  return { accept, attempt: () => attempt };
};
