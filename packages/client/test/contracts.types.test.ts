// Type tests for typed backends: `npx tsc -p tsconfig.json` fails when
// inference breaks, or when a @ts-expect-error line stops being an error.
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  createBackend,
  defineContract,
  defineContracts,
  type AnyBackend,
  type Backend,
  type BackendStream,
  type Catalogue,
  type ChunkMeta,
  type ContractTypes,
} from '../src/index.ts';

const contracts = defineContracts({
  testRequest: defineContract({
    payload: z.object({ count: z.number().int().default(3), tag: z.string().optional() }),
    chunk: z.object({ seq: z.number(), text: z.string() }),
    result: z.object({ count: z.number(), elapsedMs: z.number() }),
  }),
  ping: defineContract({ payload: z.null(), result: z.literal('pong') }),
});

// What `warren codegen` writes: a plain type alias in the common shape.
type BackendTypes = {
  chat: { payload: { message: string; history?: string[] }; chunk: { token: string }; result: { reply: string } };
};
// An interface in the same shape works too.
interface MoreTypes {
  echo: { payload: string; chunk: never; result: string };
}

declare const fromContracts: Backend<ContractTypes<typeof contracts>>;
declare const generated: Backend<BackendTypes>;
declare const untyped: Backend;
// Never called: these only have to type-check (or fail to, where expected).
const check = (_: () => unknown) => undefined;

describe('typed backends (types)', () => {
  it('infers payload, chunk and result from contracts', () => {
    check(async () => {
      const result = await fromContracts.makeBackendRequest(
        'testRequest',
        { count: 2 },
        {
          onChunk: (chunk, meta) => {
            expectTypeOf(chunk).toEqualTypeOf<{ seq: number; text: string }>();
            expectTypeOf(meta).toEqualTypeOf<ChunkMeta>();
          },
        },
      );
      expectTypeOf(result).toEqualTypeOf<{ count: number; elapsedMs: number }>();
      // Defaults may be left out of the payload: it is typed as callers write it.
      await fromContracts.makeBackendRequest('testRequest', {});
      expectTypeOf(await fromContracts.makeBackendRequest('ping', null)).toEqualTypeOf<'pong'>();
      expectTypeOf(fromContracts.stream('testRequest', { count: 1 })).toEqualTypeOf<
        BackendStream<{ seq: number; text: string }, { count: number; elapsedMs: number }>
      >();
    });
  });

  it('makes the same backend from createBackend<typeof contracts>() and from { contracts }', () => {
    check(() => {
      const a = createBackend<typeof contracts>({ url: '/' });
      const b = createBackend({ url: '/', contracts });
      expectTypeOf(a.makeBackendRequest<'testRequest'>).toEqualTypeOf(b.makeBackendRequest<'testRequest'>);
      expectTypeOf(a.services).returns.toEqualTypeOf<Promise<Catalogue>>();
      const c = createBackend<BackendTypes>({ url: '/' });
      expectTypeOf(c.makeBackendRequest('chat', { message: 'hi' })).toEqualTypeOf<Promise<{ reply: string }>>();
    });
  });

  it('types generated shapes exactly like contracts', () => {
    check(async () => {
      const reply = await generated.makeBackendRequest('chat', { message: 'hi' }, { onChunk: (c) => expectTypeOf(c).toEqualTypeOf<{ token: string }>() });
      expectTypeOf(reply).toEqualTypeOf<{ reply: string }>();
      const more = createBackend<MoreTypes>({ url: '/' });
      expectTypeOf(await more.makeBackendRequest('echo', 'x')).toEqualTypeOf<string>();
    });
  });

  it('rejects a wrong payload', () => {
    check(() => {
      // @ts-expect-error: count is a number
      void fromContracts.makeBackendRequest('testRequest', { count: 'three' });
      // @ts-expect-error: message is required
      void generated.makeBackendRequest('chat', { history: [] });
      // @ts-expect-error: the payload cannot be left out
      void generated.makeBackendRequest('chat');
      // @ts-expect-error: wrong payload in a stream too
      void fromContracts.stream('testRequest', { tag: 7 });
    });
  });

  it('rejects wrong chunk use', () => {
    check(() => {
      void fromContracts.makeBackendRequest(
        'testRequest',
        {},
        {
          // @ts-expect-error: chunks have seq and text, no progress
          onChunk: (chunk) => chunk.progress,
        },
      );
      void generated.makeBackendRequest(
        'chat',
        { message: 'x' },
        {
          // @ts-expect-error: a chunk is { token: string }, not a string
          onChunk: (chunk: string) => chunk.length,
        },
      );
      void fromContracts.makeBackendRequest('ping', null, {
        // ping declares no chunks: its chunk type is never, so nothing can be read from one
        onChunk: (chunk) => expectTypeOf(chunk).toEqualTypeOf<never>(),
      });
    });
  });

  it('rejects unknown request types and wrong result use', () => {
    check(async () => {
      // @ts-expect-error: not a type of these contracts
      void fromContracts.makeBackendRequest('nope', {});
      // @ts-expect-error: chat is not one of the contracts, testRequest is not generated
      void generated.makeBackendRequest('testRequest', { count: 1 });
      const result = await fromContracts.makeBackendRequest('testRequest', {});
      // @ts-expect-error: the result has no text
      void result.text;
    });
  });

  it('keeps untyped backends loose, and lets both kinds pass as AnyBackend', () => {
    check(async () => {
      expectTypeOf(await untyped.makeBackendRequest('anything', { at: 'all' })).toEqualTypeOf<unknown>();
      expectTypeOf(await untyped.makeBackendRequest<{ n: number }>('x')).toEqualTypeOf<{ n: number }>();
      const pass = (backend: AnyBackend) => backend;
      pass(untyped);
      pass(fromContracts);
      pass(generated);
    });
  });
});
