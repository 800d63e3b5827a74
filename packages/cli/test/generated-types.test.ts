// Type tests for codegen output: the committed module generated from a live
// catalogue (Python chat/primes, Node testRequest/longTask) types a backend
// exactly like hand-written contracts. Checked by `npx tsc -p tsconfig.json`.
import { describe, expectTypeOf, it } from 'vitest';
import { createBackend, type Backend } from '@warren/client';
import type { BackendTypes, ChatChunk, ChatResult } from './generated/backend-types.ts';
import { REQUEST_TYPES } from './generated/backend-types.ts';

declare const backend: Backend<BackendTypes>;
const check = (_: () => unknown) => undefined;

describe('generated BackendTypes', () => {
  it('types a chat call from the Python service', () => {
    check(async () => {
      const typed = createBackend<BackendTypes>({ url: '/' });
      const reply = await typed.makeBackendRequest(
        'chat',
        { message: 'hi', history: [{ role: 'user', text: 'earlier' }] },
        {
          onChunk: (chunk) => expectTypeOf(chunk).toEqualTypeOf<ChatChunk>(),
        },
      );
      expectTypeOf(reply).toEqualTypeOf<ChatResult>();
      expectTypeOf(reply.reply).toEqualTypeOf<string>();
      expectTypeOf(await backend.makeBackendRequest('primes', { limit: 10 })).toEqualTypeOf<{ count: number; last: number | null }>();
      expectTypeOf(REQUEST_TYPES).toEqualTypeOf<readonly ['chat', 'longTask', 'primes', 'testRequest']>();
    });
  });

  it('rejects wrong payloads, wrong chunk use and unknown types', () => {
    check(() => {
      // @ts-expect-error: message is required
      void backend.makeBackendRequest('chat', { history: [] });
      // @ts-expect-error: role is "user" | "assistant"
      void backend.makeBackendRequest('chat', { message: 'x', history: [{ role: 'robot', text: 'x' }] });
      // @ts-expect-error: limit is a number
      void backend.makeBackendRequest('primes', { limit: '10' });
      // @ts-expect-error: chunks carry a token, not text
      void backend.makeBackendRequest('chat', { message: 'x' }, { onChunk: (chunk) => chunk.text });
      // @ts-expect-error: nobody serves it
      void backend.makeBackendRequest('chatt', { message: 'x' });
    });
  });
});
