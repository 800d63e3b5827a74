// Requests one connection accepted and has not yet seen answered: for the
// in-flight gauge, the latency histogram, and to forward cancels only for
// requests the session really made. Entries past their deadline (plus a
// grace) are dropped and reported, so a lost answer never leaks an entry
// and never goes unseen.
export interface PendingRequests {
  add(id: string, type: string, deadline: number): void;
  /** Removes it; returns its type and age in ms, if it was pending. */
  finish(id: string): { type: string; ageMs: number } | undefined;
  has(id: string): boolean;
  typeOf(id: string): string | undefined;
  size(): number;
  clear(): void;
}

const GRACE_MS = 5_000;

/** How often `add` sweeps for expired entries at most. */
const SWEEP_MS = 1_000;

export const createPendingRequests = (now: () => number = Date.now, onExpired: (type: string) => void = () => {}): PendingRequests => {
  const entries = new Map<string, { type: string; startedAt: number; deadline: number }>();
  let sweptAt = now();
  const prune = () => {
    sweptAt = now();
    const t = sweptAt - GRACE_MS;
    for (const [id, e] of entries) {
      if (e.deadline >= t) continue;
      entries.delete(id);
      onExpired(e.type);
    }
  };
  return {
    add(id, type, deadline) {
      if (now() - sweptAt > SWEEP_MS) prune();
      entries.set(id, { type, startedAt: now(), deadline });
    },
    finish(id) {
      const e = entries.get(id);
      if (!e) return undefined;
      entries.delete(id);
      return { type: e.type, ageMs: now() - e.startedAt };
    },
    has: (id) => entries.has(id),
    typeOf: (id) => entries.get(id)?.type,
    size() {
      prune();
      return entries.size;
    },
    clear: () => entries.clear(),
  };
};
