// One request slot in a component: send it, watch it stream, cancel it.
// A thin wrapper over createRequestStore; the store decides the behaviour.
import { useEffect, useLayoutEffect, useMemo, useState, useSyncExternalStore } from 'react';
import { createRequestStore, type RequestState, type RequestStore, type RequestStoreOptions } from '@warren/client';
import type { ChunkOf, KnownRequestType, PayloadOf, ResultOf, UntypedRequestType } from './register.ts';
import { useBackend } from './useBackend.ts';

export type UseBackendRequestOptions<Chunk = unknown> = RequestStoreOptions<Chunk>;

/** The request state (a union on `status`) and its actions. */
export type UseBackendRequestResult<Result = unknown, Chunk = unknown, Payload = unknown> = RequestState<Result, Chunk> & {
  send: RequestStore<Result, Chunk, Payload>['send'];
  cancel: RequestStore<Result, Chunk, Payload>['cancel'];
  reset: RequestStore<Result, Chunk, Payload>['reset'];
};

export interface UseBackendRequest {
  /** A registered request type (see Register): payload, chunk and result inferred. */
  <K extends KnownRequestType>(type: K, options?: UseBackendRequestOptions<ChunkOf<K>>): UseBackendRequestResult<ResultOf<K>, ChunkOf<K>, PayloadOf<K>>;
  /** Nothing registered: any type name, its result, chunk and payload as explicit generics. */
  <Result = unknown, Chunk = unknown, Payload = unknown>(
    type: UntypedRequestType,
    options?: UseBackendRequestOptions<Chunk>,
  ): UseBackendRequestResult<Result, Chunk, Payload>;
}

export const useBackendRequest: UseBackendRequest = (type: string, options: UseBackendRequestOptions = {}): UseBackendRequestResult => {
  const backend = useBackend();
  // Creating the store has no side effects, so StrictMode's second call is harmless.
  const [store] = useState(() => createRequestStore({ backend, type, options }));
  // Latest props for the next send, without making `send` change identity.
  useLayoutEffect(() => store.configure({ backend, type, options }));
  useEffect(() => {
    store.attach();
    return store.detach; // cancels in-flight work on unmount
  }, [store]);
  const state = useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
  return useMemo(() => ({ ...state, send: store.send, cancel: store.cancel, reset: store.reset }), [state, store]);
};
