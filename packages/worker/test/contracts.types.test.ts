// Type tests for contract-typed handlers: `npx tsc -p tsconfig.json` fails
// when inference breaks (every @ts-expect-error must still be an error).
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { defineContract, defineContracts, registerHandlers, type HandlerContext } from '@warren/worker';

const contracts = defineContracts({
  add: defineContract({
    payload: z.object({ a: z.number(), b: z.number().default(0) }),
    chunk: z.object({ partial: z.number() }),
    result: z.object({ sum: z.number() }),
  }),
  ping: defineContract({ payload: z.null(), result: z.literal('pong') }),
});
const options = { service: 'types', contracts };
// Never called: these only have to type-check (or fail to, where expected).
const check = (_: () => unknown) => undefined;

describe('registerHandlers with contracts (types)', () => {
  it('types payload (parsed, defaults filled), ctx.sendChunk and the result', () => {
    check(() =>
      registerHandlers(options, {
        async add(payload, ctx) {
          expectTypeOf(payload).toEqualTypeOf<{ a: number; b: number }>();
          expectTypeOf(ctx).toEqualTypeOf<HandlerContext<{ partial: number }>>();
          await ctx.sendChunk({ partial: payload.a });
          return { sum: payload.a + payload.b };
        },
        ping: (payload) => {
          expectTypeOf(payload).toEqualTypeOf<null>();
          return 'pong' as const;
        },
      }),
    );
  });

  it('rejects a wrong chunk, a wrong result, a missing or an unknown handler', () => {
    check(() =>
      registerHandlers(options, {
        async add(payload, ctx) {
          // @ts-expect-error: chunks are { partial: number }
          await ctx.sendChunk({ partial: 'half' });
          return { sum: payload.a };
        },
        ping: () => 'pong' as const,
      }),
    );
    check(() =>
      // @ts-expect-error: ping returns 'pong', not 'ping'
      registerHandlers(options, { add: () => ({ sum: 1 }), ping: () => 'ping' as const }),
    );
    check(() =>
      // @ts-expect-error: no handler for ping
      registerHandlers(options, { add: () => ({ sum: 1 }) }),
    );
    check(() =>
      // @ts-expect-error: extra is not in the contracts
      registerHandlers(options, { add: () => ({ sum: 1 }), ping: () => 'pong' as const, extra: () => 1 }),
    );
    check(() =>
      registerHandlers(options, {
        add: () => ({ sum: 1 }),
        ping: async (_payload, ctx) => {
          // @ts-expect-error: ping's contract has no chunk schema, so sendChunk takes never
          await ctx.sendChunk('anything');
          return 'pong' as const;
        },
      }),
    );
    check(() =>
      // @ts-expect-error: payload.a is a number, not a string
      registerHandlers(options, {
        add: (payload: { a: string }) => ({ sum: Number(payload.a) }),
        ping: () => 'pong' as const,
      }),
    );
  });

  it('keeps the untyped form: any handlers, ctx.sendChunk takes unknown', () => {
    check(() =>
      registerHandlers(
        { service: 'plain' },
        {
          echo: async (payload: { text: string }, ctx) => {
            expectTypeOf(ctx).toEqualTypeOf<HandlerContext>();
            await ctx.sendChunk(payload.text);
            return payload;
          },
        },
      ),
    );
  });
});
