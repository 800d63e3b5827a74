// Issue 12, finding 1: a payload check costs in proportion to the payload,
// not to the number of ways it is wrong — and still finds what is wrong.
import { describe, expect, it } from 'vitest';
import { PREFIX_ITEMS, pruneArrays, type JsonSchema } from '@warren/protocol';
import { checkBounded, createSchemaCompiler } from '../src/registry/schema-check.ts';

const item = { type: 'object', properties: { role: { enum: ['user', 'assistant'] }, text: { type: 'string' } }, required: ['role', 'text'] };
const chat = (history: Record<string, unknown>): JsonSchema =>
  ({ type: 'object', properties: { message: { type: 'string' }, history: { type: 'array', items: item, ...history } }, required: ['message'] }) as JsonSchema;
const check = (schema: JsonSchema, payload: unknown) => checkBounded(createSchemaCompiler(), [{ key: 'k', schema }], payload).issues;
const ok = { role: 'user', text: 'x' };

describe('checkBounded', () => {
  it('answers 100 000 empty objects from the first items, fast, saying the count is partial', () => {
    const started = performance.now();
    const issues = check(chat({}), { message: 'hi', history: Array.from({ length: 100_000 }, () => ({})) });
    expect(performance.now() - started).toBeLessThan(500);
    expect(issues).toMatchObject({ count: 2 * PREFIX_ITEMS, partial: true });
    expect(issues!.issues).toHaveLength(20);
    expect(issues!.issues[0]).toEqual({ path: 'history.0.role', message: expect.any(String) });
  });

  it('still finds a bad item far past the prefix, with its exact path', () => {
    const history = Array.from({ length: 5000 }, () => ok);
    history[4321] = { role: 'robot', text: 'x' };
    expect(check(chat({}), { message: 'hi', history })).toEqual({ issues: [{ path: 'history.4321.role', message: expect.any(String) }], count: 1 });
  });

  it('judges array-level rules on the whole array, not on the cut one', () => {
    const history = Array.from({ length: 1000 }, () => ok);
    expect(check(chat({ minItems: 500 }), { message: 'hi', history })).toBeNull();
    expect(check(chat({ maxItems: 300 }), { message: 'hi', history })).toMatchObject({ issues: [{ path: 'history' }], count: 1 });
  });

  it('cuts only arrays, and names the cut ones as issues name paths', () => {
    const { pruned, cut } = pruneArrays({ a: [Array.from({ length: 300 }, (_, i) => i)], b: 'x'.repeat(10) }, 256);
    expect((pruned as { a: number[][] }).a[0]).toHaveLength(256);
    expect([...cut]).toEqual(['a.0']);
  });
});
