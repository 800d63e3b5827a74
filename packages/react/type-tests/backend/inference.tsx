// Type tests (no runtime): the hooks infer from a registered backend made with
// contracts, and the request state narrows on `status`. `npm test -- typecheck`
// fails when inference breaks.
import { createBackend, defineContract, defineContracts, type WarrenError } from '@warren/client';
import { useBackendRequest } from '@warren/react';
import { expectTypeOf } from 'vitest';
import { z } from 'zod';

const contracts = defineContracts({
  greet: defineContract({
    payload: z.object({ name: z.string(), times: z.number().default(1) }),
    chunk: z.object({ word: z.string() }),
    result: z.object({ greeting: z.string() }),
  }),
  ping: defineContract({ payload: z.null(), result: z.literal('pong') }),
});
const backend = createBackend({ url: '/', contracts });

declare module '@warren/react' {
  interface Register {
    backend: typeof backend;
  }
}

export const Greeter = () => {
  const { send, status, chunks, data, error } = useBackendRequest('greet');
  expectTypeOf(chunks).toEqualTypeOf<readonly { word: string }[]>();
  expectTypeOf(send).parameter(0).toEqualTypeOf<{ name: string; times?: number | undefined }>();
  if (status === 'success') expectTypeOf(data).toEqualTypeOf<{ greeting: string }>();
  if (status === 'error' || status === 'cancelled') expectTypeOf(error).toEqualTypeOf<WarrenError>();
  if (status === 'pending') {
    expectTypeOf(data).toEqualTypeOf<undefined>();
    expectTypeOf(error).toEqualTypeOf<undefined>();
  }
  // @ts-expect-error: the payload is checked against the contract
  void send({ nom: 'Ada' });
  return <p>{status === 'success' ? data.greeting : chunks.map((c) => c.word).join('')}</p>;
};

export const Others = () => {
  const ping = useBackendRequest('ping');
  expectTypeOf(ping.chunks).toEqualTypeOf<readonly never[]>();
  if (ping.status === 'success') expectTypeOf(ping.data).toEqualTypeOf<'pong'>();
  // @ts-expect-error: not a registered request type
  useBackendRequest('nope');
  // @ts-expect-error: with a registered backend, explicit generics give way to inference
  useBackendRequest<string, string, string>('greet');
  return null;
};
