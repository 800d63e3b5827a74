// Remembers which (session, id) pairs this gateway accepted until their
// deadline, so a request the client re-sends after a lost ack is not
// published (and run) twice. Bounded: the oldest entries go first.
export interface AcceptedRequests {
  has(session: string, id: string): boolean;
  add(session: string, id: string, deadline: number): void;
}

export const createAcceptedRequests = ({ max = 100_000, now = Date.now } = {}): AcceptedRequests => {
  const entries = new Map<string, number>();
  const key = (session: string, id: string) => `${session}\u0000${id}`;
  return {
    has(session, id) {
      const until = entries.get(key(session, id));
      if (until === undefined) return false;
      if (until > now()) return true;
      entries.delete(key(session, id));
      return false;
    },
    add(session, id, deadline) {
      entries.set(key(session, id), deadline);
      // Map iteration is insertion order: evict the oldest beyond the cap.
      for (const k of entries.keys()) {
        if (entries.size <= max) break;
        entries.delete(k);
      }
    },
  };
};
