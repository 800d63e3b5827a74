// Where the hooks learn the app's request types. React context cannot carry a
// type, so the app declares its backend once, TanStack-Router style:
//
//   declare module '@warren/react' {
//     interface Register { backend: typeof backend }   // createBackend({ url, contracts })
//   }
//   // or, with `warren codegen` output or contracts:  interface Register { types: BackendTypes }
//
// and `useBackendRequest('greet')` infers payload, chunk and result. Without
// it the hooks stay untyped: any name, explicit generics.
import type { BackendTypesOf, TypesFrom, Untyped } from '@warren/client';

// biome-ignore lint/suspicious/noEmptyInterface: apps augment it (declaration merging); a type alias could not be
export interface Register {}

/** The registered request types, or Untyped. */
export type RegisteredTypes = Register extends { backend: infer B } ? BackendTypesOf<B> : Register extends { types: infer T } ? TypesFrom<T> : Untyped;

/** Names `useBackendRequest` infers from (none when nothing is registered). */
export type KnownRequestType = [RegisteredTypes] extends [Untyped] ? never : keyof RegisteredTypes & string;

/** What the untyped form accepts: any name when nothing is registered, none when types are. */
export type UntypedRequestType = [RegisteredTypes] extends [Untyped] ? string : never;

type Shape<K> = K extends keyof RegisteredTypes ? RegisteredTypes[K] : never;
export type PayloadOf<K> = Shape<K> extends { payload: infer P } ? P : never;
export type ChunkOf<K> = Shape<K> extends { chunk: infer C } ? C : never;
export type ResultOf<K> = Shape<K> extends { result: infer R } ? R : never;
