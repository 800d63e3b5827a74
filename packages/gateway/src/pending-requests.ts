// Requests one connection accepted and has not yet seen answered: for the
// in-flight gauge, the latency histogram, and to forward cancels only for
// requests the session really made. Entries past their deadline (plus a
// grace) are dropped, so a lost answer never leaks an entry.
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

export const createPendingRequests = (now: () => number = Date.now): PendingRequests => {
  const entries = new Map<string, { type: string; startedAt: number; deadline: number }>();
  const prune = () => {
    const t = now() - GRACE_MS;
    for (const [id, e] of entries) if (e.deadline < t) entries.delete(id);
  };
  return {
    add(id, type, deadline) {
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
