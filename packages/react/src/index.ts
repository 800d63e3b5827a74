// Public entry of @warren/react.
export { BackendProvider } from './BackendProvider.tsx';
export type { BackendProviderProps } from './BackendProvider.tsx';
export { useBackend } from './useBackend.ts';
export { useBackendRequest } from './useBackendRequest.ts';
export type { UseBackendRequestOptions, UseBackendRequestResult } from './useBackendRequest.ts';
export { useConnection, toConnection } from './useConnection.ts';
export type { Connection } from './useConnection.ts';
export { createRequestStore } from './request-store.ts';
export type { RequestStore, RequestStoreConfig, RequestStoreOptions, SendOptions } from './request-store.ts';
export { progressOf } from './request-state.ts';
export type { RequestOutcome, RequestState, RequestStatus } from './request-state.ts';
