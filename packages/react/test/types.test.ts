// Type tests: checked by tsc (the root typecheck includes test files) and
// trivially true at run time.
import type { Backend, WarrenError } from '@warren/client';
import type { BackendProviderProps } from '../src/BackendProvider.tsx';
import { describe, expectTypeOf, it } from 'vitest';
import type { Connection, RequestOutcome, RequestStatus, useBackendRequest, UseBackendRequestResult } from '../src/index.ts';

type Typed = UseBackendRequestResult<{ count: number }, { text: string }, { n: number }>;

describe('public types', () => {
  it('infers data, chunks and payload from the generics', () => {
    expectTypeOf<Typed['data']>().toEqualTypeOf<{ count: number } | undefined>();
    expectTypeOf<Typed['chunks']>().toEqualTypeOf<readonly { text: string }[]>();
    expectTypeOf<Parameters<Typed['send']>[0]>().toEqualTypeOf<{ n: number }>();
    expectTypeOf<ReturnType<Typed['send']>>().toEqualTypeOf<Promise<RequestOutcome<{ count: number }>>>();
    expectTypeOf<ReturnType<typeof useBackendRequest<string, number>>>().toEqualTypeOf<UseBackendRequestResult<string, number, unknown>>();
  });

  it('types status, errors, outcomes and connection', () => {
    expectTypeOf<Typed['status']>().toEqualTypeOf<RequestStatus>();
    expectTypeOf<RequestStatus>().toEqualTypeOf<'idle' | 'pending' | 'streaming' | 'success' | 'error' | 'cancelled'>();
    expectTypeOf<Typed['error']>().toEqualTypeOf<WarrenError | undefined>();
    expectTypeOf<Typed['progress']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<Extract<RequestOutcome<number>, { status: 'success' }>['data']>().toEqualTypeOf<number>();
    expectTypeOf<Connection>().toEqualTypeOf<'connected' | 'reconnecting' | 'offline'>();
  });

  it('accepts typed and untyped backends in the provider', () => {
    type Typed = Backend<{ greet: { payload: { name: string }; chunk: never; result: string } }>;
    expectTypeOf<Typed>().toMatchTypeOf<BackendProviderProps['backend']>();
    expectTypeOf<Backend>().toMatchTypeOf<BackendProviderProps['backend']>();
  });
});
