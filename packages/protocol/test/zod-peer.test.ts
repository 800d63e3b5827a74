// zod is a peer dependency: a user on zod 3 gets a message naming the fix,
// not a TypeError from inside z.toJSONSchema.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineContract } from '../src/index.ts';

// What a zod 3 schema looks like to us: safeParse and _def, no _zod.
const zod3Schema = { _def: { typeName: 'ZodObject' }, safeParse: () => ({ success: true, data: {} }), parse: (v: unknown) => v };

describe('defineContract and the zod peer', () => {
  it('refuses a zod 3 schema with a message that names zod 4', () => {
    expect(() => defineContract({ payload: zod3Schema as never, result: z.object({}) })).toThrow(/payload is a zod 3 schema; Warren needs zod 4/);
  });
  it('accepts zod 4 schemas', () => {
    expect(defineContract({ payload: z.object({ name: z.string() }), result: z.string() }).kind).toBe('warren.contract');
  });
});
