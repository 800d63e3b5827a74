// Connection state for banners and indicators, re-rendering only on change.
import { useSyncExternalStore } from 'react';
import type { ConnectionStatus } from '@warren/client';
import { useBackend } from './useBackend.ts';

export type Connection = 'connected' | 'reconnecting' | 'offline';

/**
 * The client's 'connecting' (not connected yet, trying by itself) reads as
 * 'reconnecting': for a person both mean "not now, but it will come back",
 * and 'offline' is kept for "it will not come back by itself".
 */
export const toConnection = (status: ConnectionStatus): Connection => (status === 'connecting' ? 'reconnecting' : status);

export const useConnection = (): Connection => {
  const backend = useBackend();
  const snapshot = useSyncExternalStore(backend.subscribe, backend.getSnapshot, backend.getSnapshot);
  return toConnection(snapshot.status);
};
