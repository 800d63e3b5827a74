// Remembers cancelled requests for a while, so one that is still queued when
// its cancel arrives is skipped on delivery instead of being run.
import { requestKey } from '@warren/protocol';

export interface CancelMemory {
  add(session: string, id: string): void;
  has(session: string, id: string): boolean;
}

export const createCancelMemory = ({ ttlMs = 10 * 60_000, max = 10_000, now = Date.now } = {}): CancelMemory => {
  const entries = new Map<string, number>();
  const prune = () => {
    const cutoff = now() - ttlMs;
    for (const [k, at] of entries) {
      if (at > cutoff && entries.size <= max) break; // insertion order = age order
      entries.delete(k);
    }
  };
  return {
    add(session, id) {
      entries.delete(requestKey(session, id));
      entries.set(requestKey(session, id), now());
      prune();
    },
    has: (session, id) => {
      const at = entries.get(requestKey(session, id));
      return at !== undefined && at > now() - ttlMs;
    },
  };
};
