// Typed handlers from zod contracts, and the runtime half of the same
// promise: payloads are checked before the handler runs (defence in depth
// behind the gateway), chunks and results before they leave the worker, so
// callers get exactly the types the contract names.
import type { z } from 'zod';
import { checkAgainstSchema, createWarrenError, fromWireError, type ChunkInput, type Contract, type Contracts, type WireError } from '@warren/protocol';
import type { HandlerContext } from './run-request.ts';
import type { Handler } from './run-request.ts';

/** A handler typed by its contract: parsed payload in, the contract's chunk and result out. */
export type ContractHandler<C extends Contract> = (
  payload: z.output<C['payload']>,
  ctx: HandlerContext<ChunkInput<C>>,
) => z.input<C['result']> | Promise<z.input<C['result']>>;

/** One handler per contract, no more, no less. */
export type ContractHandlers<C extends Contracts> = { [K in keyof C]: ContractHandler<C[K]> };

// The worker broke its own contract: the caller sees WORKER_ERROR, with the paths.
const broken = (error: WireError) => createWarrenError('WORKER_ERROR', error.message, error.details ? { details: error.details } : {});

// Marks a checked handler with its contract, so the untyped form of
// registerHandlers still announces its schemas and never checks twice.
const CONTRACT = Symbol.for('warren.handlerContract');

/** The contract a handler was bound to with withContracts, if any. */
export const contractOf = (handler: unknown): Contract | undefined =>
  typeof handler === 'function' ? (handler as unknown as Record<symbol, Contract | undefined>)[CONTRACT] : undefined;

export const withContract = (type: string, contract: Contract, handler: Handler): Handler => {
  if (contractOf(handler) === contract) return handler;
  const chunkSchema = contract.chunk;
  const checked: Handler = async (payload, ctx) => {
    const parsed = checkAgainstSchema(contract.payload, type, payload);
    if (!parsed.ok) throw fromWireError(parsed.error);
    const sendChunk = async (data: unknown) => {
      if (chunkSchema === undefined) throw createWarrenError('WORKER_ERROR', `The contract of "${type}" declares no chunks.`);
      const chunk = checkAgainstSchema(chunkSchema, type, data, 'chunk');
      if (!chunk.ok) throw broken(chunk.error);
      await ctx.sendChunk(chunk.value);
    };
    const value = await handler(parsed.value, { ...ctx, sendChunk });
    const result = checkAgainstSchema(contract.result, type, value, 'result');
    if (!result.ok) throw broken(result.error);
    return result.value;
  };
  Object.defineProperty(checked, CONTRACT, { value: contract });
  return checked;
};

/** Contracts and handlers must name the same types: a mismatch fails at start-up. */
export const checkContractHandlers = (contracts: Contracts, handlers: Record<string, unknown>): void => {
  const missing = Object.keys(contracts).filter((type) => !Object.hasOwn(handlers, type));
  const extra = Object.keys(handlers).filter((type) => !Object.hasOwn(contracts, type));
  if (missing.length > 0) throw new Error(`registerHandlers: no handler for contract type(s) ${missing.join(', ')}`);
  if (extra.length > 0) throw new Error(`registerHandlers: handler(s) ${extra.join(', ')} have no contract in options.contracts`);
};

/**
 * Typed handlers, checked by their contracts, as plain Handlers: for the
 * untyped form of registerHandlers, e.g. to serve them beside untyped ones
 * (`{ ...withContracts(contracts, handlers), other }`). Schemas are still announced.
 */
export const withContracts = <C extends Contracts>(contracts: C, handlers: ContractHandlers<C>): Record<string, Handler> => {
  checkContractHandlers(contracts, handlers);
  const typed = handlers as unknown as Record<string, Handler>;
  return Object.fromEntries(Object.entries(contracts).map(([type, contract]) => [type, withContract(type, contract, typed[type]!)]));
};
