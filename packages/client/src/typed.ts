// The typed face of a backend. Hand-written zod contracts and `warren
// codegen` output meet in one shape (request type → { payload, chunk,
// result }); a backend made with either infers every call from it and
// refuses unknown types at compile time. Without types it stays as loose as
// before: any type name, explicit generics for result and chunk.
import type { Catalogue, Contracts, ServiceTypes, TypeShape, TypesOf } from '@warren/protocol';
import type { BackendSnapshot, ConnectionStatus } from './connection-store.ts';
import type { ClientLogger } from './logger.ts';
import type { RetainedCall } from './call-store.ts';
import type { AttachOptions, RequestOptions } from './in-flight.ts';
import type { ServicesOptions } from './services.ts';
import type { BackendStream, StreamOptions } from './stream.ts';

declare const untyped: unique symbol;
/** The type parameter of a backend created without contracts or types. */
export type Untyped = { readonly [untyped]: true };

/** Every key maps to a TypeShape; works for interfaces too (no index signature needed). */
export type ShapeMap<T> = { [K in keyof T]: TypeShape };

declare const knownTypes: unique symbol;

export interface TypedCalls<T extends ShapeMap<T>> {
  /** Type-level only (never set): the request types, for `BackendTypesOf` and the React hooks. */
  readonly [knownTypes]?: T;
  /** Sends one request of a known type; payload, chunks and result are typed by it. */
  makeBackendRequest<K extends keyof T & string>(type: K, payload: T[K]['payload'], options?: RequestOptions<T[K]['chunk']>): Promise<T[K]['result']>;
  /** The same request, its chunks consumed with `for await`. */
  stream<K extends keyof T & string>(type: K, payload: T[K]['payload'], options?: StreamOptions): BackendStream<T[K]['chunk'], T[K]['result']>;
  /** Attaches to the retained call `key` (never starts it): every chunk from the first, then the result; EXPIRED when it is gone. */
  attach<K extends keyof T & string>(type: K, key: string, options?: AttachOptions<T[K]['chunk']>): Promise<T[K]['result']>;
}

export interface UntypedCalls {
  /** Sends one request; resolves with its result, rejects with a WarrenError. */
  makeBackendRequest<Result = unknown, Chunk = unknown>(type: string, payload?: unknown, options?: RequestOptions<Chunk>): Promise<Result>;
  /** Sends one request and yields its chunks; see stream.ts for restarts. */
  stream<Chunk = unknown, Result = unknown>(type: string, payload?: unknown, options?: StreamOptions): BackendStream<Chunk, Result>;
  /** Attaches to the retained call `key` (never starts it): every chunk from the first, then the result; EXPIRED when it is gone. */
  attach<Result = unknown, Chunk = unknown>(type: string, key: string, options?: AttachOptions<Chunk>): Promise<Result>;
}

/** The calls a backend of types `T` offers (T = Untyped: any type, loosely typed). */
export type CallsOf<T> = [T] extends [Untyped] ? UntypedCalls : T extends ShapeMap<T> ? TypedCalls<T> : never;

/**
 * What `createBackend` accepts as its type argument or `contracts` option:
 * contracts, a shape map (type alias or interface), or nothing (Untyped).
 * Contracts fit ShapeMap too: payload, chunk and result are their schemas.
 */
export type BackendTypeSource<T> = ShapeMap<T> | Contracts | ServiceTypes | Untyped;

/** Both typed and untyped backends fit here: for code that only passes a backend on. */
export interface AnyCalls {
  // biome-ignore lint/suspicious/noExplicitAny: any typed or untyped backend must fit here
  makeBackendRequest(type: any, payload?: any, options?: any): Promise<any>;
  // biome-ignore lint/suspicious/noExplicitAny: any typed or untyped backend must fit here
  stream(type: any, payload?: any, options?: any): BackendStream<any, any>;
  // biome-ignore lint/suspicious/noExplicitAny: any typed or untyped backend must fit here
  attach(type: any, key: string, options?: any): Promise<any>;
}

/** The request types a backend was created with (`typeof backend`); Untyped for an untyped one. */
export type BackendTypesOf<B> = B extends { readonly [knownTypes]?: infer T } ? (unknown extends T ? Untyped : T) : Untyped;

/** Contracts → their shapes; codegen's shapes stay; Untyped stays Untyped. */
export type TypesFrom<T> = [T] extends [Untyped] ? Untyped : TypesOf<T>;

/** Everything a backend offers besides the calls, typed or not. */
export interface BackendCore {
  status(): ConnectionStatus;
  /** useSyncExternalStore-compatible: listener runs after each snapshot change. */
  subscribe(listener: () => void): () => void;
  /** Same object until status or sessionId changes. */
  getSnapshot(): BackendSnapshot;
  /**
   * Disconnects for good; everything pending rejects with DISCONNECTED.
   * Resolves once the frames sent before it (a cancel, the last logs) have
   * left for the gateway, or after a second: await it before a process exits.
   */
  close(): Promise<void>;
  /** The retained call this tab sent under `key` (from the call store), if it still remembers one. */
  retainedCall(key: string): RetainedCall | undefined;
  /** Forgets the call under `key`: a later request with it starts a new call once the gateway's retention is over (or at once under another key). */
  forget(key: string): void;
  readonly logger: ClientLogger;
}

/**
 * A backend. `T` is the request types it knows (contracts' or codegen's
 * shape): calls of other types do not compile. Untyped (the default): any
 * type, result and chunk named by explicit generics.
 */
export type Backend<T = Untyped> = BackendCore & CallsOf<T>;

/** A typed or an untyped backend, for code that only hands it on. */
export type AnyBackend = BackendCore & AnyCalls;

/**
 * The live registry, read over the backend's socket. A separate interface
 * (createBackend returns `Backend<T> & RegistryReader`) so that existing
 * hand-made `Backend` fakes stay valid.
 */
export interface RegistryReader {
  /** The gateway's live catalogue: instances, request types with their JSON Schemas, conflicts. */
  services(options?: ServicesOptions): Promise<Catalogue>;
}
