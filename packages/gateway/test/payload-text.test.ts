import { describe, expect, it } from 'vitest';
import { jsonDepth, MAX_BODY_DEPTH } from '@warren/protocol';
import { NOT_JSON, payloadJson, TOO_DEEP } from '../src/payload-text.ts';

const nested = (levels: number): unknown => {
  let value: unknown = 'leaf';
  for (let i = 0; i < levels; i++) value = i % 2 === 0 ? [value] : { v: value };
  return value;
};

describe('payloadJson', () => {
  it('is the JSON text of a plain payload', () => {
    for (const payload of [null, 0, 'x', { tag: 'bench', data: 'é"\\'.repeat(1000) }, [1, { a: [true, null] }], {}]) {
      expect(payloadJson(payload)).toBe(JSON.stringify(payload));
    }
  });

  it('refuses binary values at any depth, typed arrays and views included', () => {
    expect(payloadJson(Buffer.from('hi'))).toBe(NOT_JSON);
    expect(payloadJson({ a: [1, { b: new Uint8Array(2) }] })).toBe(NOT_JSON);
    expect(payloadJson([new ArrayBuffer(4)])).toBe(NOT_JSON);
    expect(payloadJson({ v: new DataView(new ArrayBuffer(1)) })).toBe(NOT_JSON);
  });

  it('counts nesting as jsonDepth does on the text: MAX_BODY_DEPTH passes, one more is TOO_DEEP', () => {
    const deepest = nested(MAX_BODY_DEPTH);
    expect(jsonDepth(JSON.stringify(deepest))).toBe(MAX_BODY_DEPTH);
    expect(payloadJson(deepest)).toBe(JSON.stringify(deepest));
    expect(payloadJson(nested(MAX_BODY_DEPTH + 1))).toBe(TOO_DEEP);
    expect(payloadJson({ a: nested(MAX_BODY_DEPTH) })).toBe(TOO_DEEP);
  });

  it('refuses a cycle as NOT_JSON', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(payloadJson(cyclic)).toBe(NOT_JSON);
  });
});
