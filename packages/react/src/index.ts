// Public entry of @warren/react.
export { BackendProvider } from './BackendProvider.tsx';
export type { BackendProviderProps } from './BackendProvider.tsx';
export { useBackend } from './useBackend.ts';
export { useBackendRequest } from './useBackendRequest.ts';
export type { UseBackendRequest, UseBackendRequestOptions, UseBackendRequestResult } from './useBackendRequest.ts';
export type { ChunkOf, KnownRequestType, PayloadOf, RegisteredTypes, Register, ResultOf } from './register.ts';
export { useConnection, toConnection } from './useConnection.ts';
export type { Connection } from './useConnection.ts';
// The request store lives in @warren/client (framework-free); re-exported so
// apps that imported it from here keep working.
export { createRequestStore, progressOf } from '@warren/client';
export type {
  RequestOutcome,
  RequestProgress,
  RequestState,
  RequestStatus,
  RequestStore,
  RequestStoreConfig,
  RequestStoreOptions,
  SendOptions,
} from '@warren/client';
