// Type tests: checked by tsc (the root typecheck includes test files) and
// trivially true at run time.
import { describe, expectTypeOf, it } from 'vitest';
import type { Backend, BackendSnapshot, BackendStream, ChunkMeta, ConnectionStatus, WarrenError } from '../src/index.ts';
import { setup } from './setup.ts';

describe('public types', () => {
  it('infers results and chunks from the generics', () => {
    const { backend } = setup();
    const call = backend.makeBackendRequest<{ count: number }, { text: string }>(
      't',
      {},
      {
        onChunk: (chunk, meta) => {
          expectTypeOf(chunk).toEqualTypeOf<{ text: string }>();
          expectTypeOf(meta).toEqualTypeOf<ChunkMeta>();
        },
      },
    );
    call.catch(() => undefined);
    expectTypeOf(call).toEqualTypeOf<Promise<{ count: number }>>();
    expectTypeOf<ReturnType<Backend['makeBackendRequest']>>().toEqualTypeOf<Promise<unknown>>();
    backend.close();
  });

  it('types streams, snapshots and errors', () => {
    expectTypeOf<ReturnType<Backend['stream']>>().toEqualTypeOf<BackendStream<unknown, unknown>>();
    expectTypeOf<BackendStream<string, number>>().toMatchTypeOf<AsyncIterable<string>>();
    expectTypeOf<BackendStream<string, number>['result']>().toEqualTypeOf<Promise<number>>();
    expectTypeOf<BackendSnapshot['status']>().toEqualTypeOf<ConnectionStatus>();
    expectTypeOf<ConnectionStatus>().toEqualTypeOf<'connecting' | 'connected' | 'reconnecting' | 'offline'>();
    expectTypeOf<WarrenError['code']>().toEqualTypeOf<import('@warren/protocol').ErrorCode>();
  });
});
