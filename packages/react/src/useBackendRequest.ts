// One request slot in a component: send it, watch it stream, cancel it.
// A thin wrapper over createRequestStore; the store decides the behaviour.
import { useEffect, useLayoutEffect, useMemo, useState, useSyncExternalStore } from 'react';
import { createRequestStore, type RequestState, type RequestStore, type RequestStoreOptions } from '@warren/client';
import { useBackend } from './useBackend.ts';

export type UseBackendRequestOptions<Chunk = unknown> = RequestStoreOptions<Chunk>;

export interface UseBackendRequestResult<Result = unknown, Chunk = unknown, Payload = unknown> extends RequestState<Result, Chunk> {
  send: RequestStore<Result, Chunk, Payload>['send'];
  cancel: RequestStore<Result, Chunk, Payload>['cancel'];
  reset: RequestStore<Result, Chunk, Payload>['reset'];
}

export const useBackendRequest = <Result = unknown, Chunk = unknown, Payload = unknown>(
  type: string,
  options: UseBackendRequestOptions<Chunk> = {},
): UseBackendRequestResult<Result, Chunk, Payload> => {
  const backend = useBackend();
  // Creating the store has no side effects, so StrictMode's second call is harmless.
  const [store] = useState(() => createRequestStore<Result, Chunk, Payload>({ backend, type, options }));
  // Latest props for the next send, without making `send` change identity.
  useLayoutEffect(() => store.configure({ backend, type, options }));
  useEffect(() => {
    store.attach();
    return store.detach; // cancels in-flight work on unmount
  }, [store]);
  const state = useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
  return useMemo(() => ({ ...state, send: store.send, cancel: store.cancel, reset: store.reset }), [state, store]);
};
