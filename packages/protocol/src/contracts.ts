// Contracts: zod schemas for the payload, chunks and result of each request
// type. They live here, not in the client or the worker SDK, because both
// import them and this package is the one both already depend on.
//
// One shape is shared by hand-written contracts and `warren codegen` output:
// a map from request type to { payload, chunk, result } (ServiceTypes). The
// client accepts either; contracts are turned into that map by ContractTypes.
import { z } from 'zod';

/** What one request type carries, as TypeScript types. */
export interface TypeShape {
  /** What the caller sends. */
  payload: unknown;
  /** What each streamed chunk is (`never` when the type does not stream). */
  chunk: unknown;
  /** What the call resolves with. */
  result: unknown;
}

/** Request type → its shape. `warren codegen` writes one of these. */
export type ServiceTypes = { [type: string]: TypeShape };

export interface Contract<P extends z.ZodType = z.ZodType, C extends z.ZodType | undefined = z.ZodType | undefined, R extends z.ZodType = z.ZodType> {
  /** Runtime brand, so a contract is told apart from any other object. */
  readonly kind: 'warren.contract';
  readonly description: string | undefined;
  readonly payload: P;
  /** Absent: the type sends no chunks (its handler's sendChunk takes `never`). */
  readonly chunk: C;
  readonly result: R;
}

export type Contracts = { [type: string]: Contract };

export interface ContractSpec<P extends z.ZodType, C extends z.ZodType | undefined, R extends z.ZodType> {
  /** Shown in the registry, the demo console and generated types. */
  description?: string;
  payload: P;
  chunk?: C;
  result: R;
}

/** Chunk type a handler sends (zod input) and a caller receives (zod output). */
export type ChunkInput<C extends Contract> = C['chunk'] extends z.ZodType ? z.input<C['chunk']> : never;
export type ChunkOutput<C extends Contract> = C['chunk'] extends z.ZodType ? z.output<C['chunk']> : never;

/**
 * The caller's view of contracts: payload as the schema accepts it (defaults
 * may be left out), chunk and result as the worker's schemas produce them.
 */
export type ContractTypes<C extends Contracts> = {
  [K in keyof C & string]: {
    payload: z.input<C[K]['payload']>;
    chunk: ChunkOutput<C[K]>;
    result: z.output<C[K]['result']>;
  };
};

/** Contracts → their ServiceTypes; a ServiceTypes map stays as it is. */
export type TypesOf<T> = T extends Contracts ? ContractTypes<T> : T;

export const defineContract = <P extends z.ZodType, R extends z.ZodType, C extends z.ZodType | undefined = undefined>(
  spec: ContractSpec<P, C, R>,
): Contract<P, C, R> => {
  const check = (field: string, value: unknown) => {
    if (typeof (value as z.ZodType | undefined)?.safeParse !== 'function') {
      throw new TypeError(`defineContract: ${field} must be a zod schema`);
    }
    // zod is a peer dependency: a zod 3 schema would pass the check above and
    // then fail deep inside z.toJSONSchema with a bare TypeError.
    if (!('_zod' in (value as object))) {
      throw new TypeError(`defineContract: ${field} is a zod 3 schema; Warren needs zod 4 (npm i zod@^4, or import { z } from 'zod/v4' with zod 3.25)`);
    }
  };
  check('payload', spec.payload);
  check('result', spec.result);
  if (spec.chunk !== undefined) check('chunk', spec.chunk);
  if (spec.description !== undefined && typeof spec.description !== 'string') {
    throw new TypeError('defineContract: description must be a string');
  }
  return { kind: 'warren.contract', description: spec.description, payload: spec.payload, chunk: spec.chunk as C, result: spec.result };
};

/** Checks the map at start-up (names, brands) and returns it unchanged, fully typed. */
export const defineContracts = <C extends Contracts>(contracts: C): C => {
  if (contracts === null || typeof contracts !== 'object') throw new TypeError('defineContracts: expected an object of contracts');
  for (const [type, contract] of Object.entries(contracts)) {
    if (!isContract(contract)) throw new TypeError(`defineContracts: "${type}" is not a contract; build it with defineContract({ payload, result })`);
  }
  return contracts;
};

export const isContract = (value: unknown): value is Contract =>
  value !== null && typeof value === 'object' && (value as Partial<Contract>).kind === 'warren.contract';

export type JsonSchema = Record<string, unknown> | boolean;

export interface ContractJsonSchemas {
  description?: string;
  payload: JsonSchema;
  chunk?: JsonSchema;
  result: JsonSchema;
}

// Payloads are checked as callers write them (defaults optional); chunks and
// results as callers receive them. Zod types JSON cannot express (dates,
// transforms) become `{}` rather than failing the announcement.
const toJson = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;

/** JSON Schemas of a contract, as a worker announces them on the registry. */
export const contractJsonSchemas = (contract: Contract): ContractJsonSchemas => {
  const out: ContractJsonSchemas = { payload: toJson(contract.payload, 'input'), result: toJson(contract.result, 'output') };
  if (contract.chunk !== undefined) out.chunk = toJson(contract.chunk, 'output');
  if (contract.description !== undefined) out.description = contract.description;
  return out;
};
