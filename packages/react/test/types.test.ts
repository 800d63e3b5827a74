// Type tests: checked by tsc (the root typecheck includes test files) and
// trivially true at run time.
import type { Backend, WarrenError } from '@warren/client';
import type { BackendProviderProps } from '../src/BackendProvider.tsx';
import { describe, expectTypeOf, it } from 'vitest';
import type { Connection, RequestOutcome, RequestStatus, useBackendRequest, UseBackendRequestOptions, UseBackendRequestResult } from '../src/index.ts';

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
    expectTypeOf<RequestStatus>().toEqualTypeOf<'idle' | 'pending' | 'queued' | 'streaming' | 'success' | 'error' | 'cancelled'>();
    expectTypeOf<Typed['error']>().toEqualTypeOf<WarrenError | undefined>();
    expectTypeOf<Typed['progress']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<Extract<RequestOutcome<number>, { status: 'success' }>['data']>().toEqualTypeOf<number>();
    expectTypeOf<Connection>().toEqualTypeOf<'connected' | 'reconnecting' | 'offline'>();
  });

  it("narrows position to a number exactly when status is 'queued'", () => {
    expectTypeOf<Typed['position']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<Extract<Typed, { status: 'queued' }>['position']>().toEqualTypeOf<number>();
    expectTypeOf<Extract<Typed, { status: 'queued' }>['data']>().toEqualTypeOf<undefined>();
    expectTypeOf<Extract<Typed, { status: 'queued' }>['error']>().toEqualTypeOf<undefined>();
    expectTypeOf<Exclude<Typed, { status: 'queued' }>['position']>().toEqualTypeOf<undefined>();
    expectTypeOf<Typed['key']>().toEqualTypeOf<string | undefined>();
    // A component narrows by checking the status, as it does for data and error.
    const show = (state: Typed): number | null => (state.status === 'queued' ? state.position : null);
    expectTypeOf(show).returns.toEqualTypeOf<number | null>();
  });

  it('takes a key in the hook options and per send', () => {
    expectTypeOf<UseBackendRequestOptions['key']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<NonNullable<Parameters<Typed['send']>[1]>['key']>().toEqualTypeOf<string | undefined>();
  });

  it('accepts typed and untyped backends in the provider', () => {
    type Typed = Backend<{ greet: { payload: { name: string }; chunk: never; result: string } }>;
    expectTypeOf<Typed>().toMatchTypeOf<BackendProviderProps['backend']>();
    expectTypeOf<Backend>().toMatchTypeOf<BackendProviderProps['backend']>();
  });
});
