// Connection state as an external store, shaped for React's
// useSyncExternalStore: the snapshot object only changes when a field does,
// so components re-render on real changes only.

export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting' | 'offline';

export interface BackendSnapshot {
  readonly status: ConnectionStatus;
  /** Id of the gateway session, once the gateway announced it. */
  readonly sessionId: string | null;
  /**
   * Why the status is `offline` for good when the gateway refused this client
   * (a refused origin or token: FORBIDDEN, UNAUTHORIZED, …); absent otherwise.
   */
  readonly refused?: { readonly code: string; readonly message: string };
}

interface ConnectionStore {
  getSnapshot(): BackendSnapshot;
  subscribe(listener: () => void): () => void;
  update(patch: Partial<BackendSnapshot>): void;
}

export const createConnectionStore = (initial: BackendSnapshot): ConnectionStore => {
  let snapshot: BackendSnapshot = Object.freeze({ ...initial });
  const listeners = new Set<() => void>();

  const update = (patch: Partial<BackendSnapshot>): void => {
    const next = { ...snapshot, ...patch };
    if (next.status === snapshot.status && next.sessionId === snapshot.sessionId && next.refused === snapshot.refused) return;
    snapshot = Object.freeze(next);
    for (const listener of [...listeners]) {
      try {
        listener();
      } catch {
        // one broken subscriber must not starve the others
      }
    }
  };

  const subscribe = (listener: () => void): (() => void) => {
    // Wrapped so subscribing the same function twice yields two subscriptions.
    const entry = (): void => listener();
    listeners.add(entry);
    return () => {
      listeners.delete(entry);
    };
  };

  return { getSnapshot: () => snapshot, subscribe, update };
};
