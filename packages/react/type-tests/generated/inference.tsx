// Type tests (no runtime): the hooks infer from registered `warren codegen`
// output (a ServiceTypes map), the other way to type a backend.
import { useBackendRequest } from '@warren/react';
import { expectTypeOf } from 'vitest';

interface BackendTypes {
  chat: {
    payload: { message: string };
    chunk: { token: string };
    result: { reply: string; tokens: number };
  };
}

declare module '@warren/react' {
  interface Register {
    types: BackendTypes;
  }
}

export const Chat = () => {
  const chat = useBackendRequest('chat');
  expectTypeOf(chat.send).parameter(0).toEqualTypeOf<{ message: string }>();
  expectTypeOf(chat.chunks).toEqualTypeOf<readonly { token: string }[]>();
  if (chat.status === 'success') expectTypeOf(chat.data).toEqualTypeOf<{ reply: string; tokens: number }>();
  // @ts-expect-error: not a generated request type
  useBackendRequest('greet');
  return null;
};
