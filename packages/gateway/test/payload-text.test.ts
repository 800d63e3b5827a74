// The payload text the gateway checks on arrival is published as the AMQP
// body (RequestMessage.payloadJson): it must be byte for byte what
// JSON.stringify(payload) gives, as the worker read before (the transport's
// codec-body test: that text makes the same body).
import { describe, expect, it } from 'vitest';
import { jsonDepth, MAX_BODY_DEPTH } from '@warren/protocol';
import { NOT_JSON, payloadJson, TOO_DEEP } from '../src/payload-text.ts';

// As Socket.IO hands them over: JSON.parse of the frame's text.
const payloads: unknown[] = [
  null,
  0,
  -0,
  1e21,
  1.5e-7,
  'text with "quotes", \\ backslashes, \n newlines, \u2028 and \ud83d\ude00',
  '\ud800 lone surrogate',
  [],
  {},
  { text: 'x'.repeat(80), n: 1 },
  JSON.parse('{"__proto__": {"polluted": true}, "toJSON": "not a function", "b": [1, {"c": null}], "a": 2}'),
  JSON.parse(`${'['.repeat(60)}1${']'.repeat(60)}`),
  { unicode: 'é ü ß 中文', big: Number('12345678901234567890'), neg: -1.25e300 },
];

describe('the checked payload text as the request body', () => {
  it('is what JSON.stringify gives for every payload a socket can carry', () => {
    for (const payload of payloads) expect(payloadJson(payload)).toBe(JSON.stringify(payload));
  });
});

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
