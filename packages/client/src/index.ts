// Public entry of @warren/client. Everything else is internal.
export { createBackend } from './backend.ts';
export type { AnyBackend, Backend, BackendCore, RegistryReader } from './backend.ts';
export type { AnyCalls, BackendTypesOf, BackendTypeSource, CallsOf, ShapeMap, TypedCalls, TypesFrom, Untyped, UntypedCalls } from './typed.ts';
export type { ServicesOptions } from './services.ts';
// Contracts are shared with workers; the client reads them for their types only.
export { defineContract, defineContracts } from '@warren/protocol';
export type {
  Catalogue,
  CatalogueConflict,
  CatalogueInstance,
  CatalogueType,
  Contract,
  Contracts,
  ContractTypes,
  ServiceTypes,
  TypeShape,
  TypesOf,
} from '@warren/protocol';
export type { BackendOptions } from './options.ts';
export { DEFAULTS } from './options.ts';
export type { AttachOptions, ChunkMeta, RequestOptions } from './in-flight.ts';
export { CALL_STORAGE_KEY, createDefaultCallStore, createMemoryCallStore } from './call-store.ts';
export type { CallStore, RetainedCall } from './call-store.ts';
export type { BackendStream, StreamOptions } from './stream.ts';
// One request "slot" as a framework-free store (send/cancel/reset, subscribe/getSnapshot);
// @warren/react's useBackendRequest is a thin hook over it.
export { createRequestStore } from './request-store.ts';
export type { RequestStore, RequestStoreConfig, RequestStoreOptions, SendOptions } from './request-store.ts';
export { progressOf } from './request-state.ts';
export type { RequestOutcome, RequestProgress, RequestState, RequestStatus } from './request-state.ts';
export type { BackendSnapshot, ConnectionStatus } from './connection-store.ts';
export { createClientLogger, LOGGER_DEFAULTS } from './logger.ts';
export type { ClientLogger, LogEntry, LoggerOptions, LogLevel, LogMethod } from './logger.ts';
export { createDefaultSessionStore, createMemorySessionStore, SESSION_STORAGE_KEY } from './session-store.ts';
export type { SessionStore } from './session-store.ts';
export { defaultConnect } from './socket.ts';
export type { Connect, ConnectOptions, SocketLike, SocketListener, TokenSource } from './socket.ts';
export { probeRefusal } from './refusal-probe.ts';
export type { Refusal, RefusalProbe } from './refusal-probe.ts';
// Re-exported so apps can match on codes without a second import.
export { isWarrenError } from '@warren/protocol';
export type { ErrorCode, WarrenError } from '@warren/protocol';
