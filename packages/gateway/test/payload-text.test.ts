// The payload text the gateway checks on arrival is published as the AMQP
// body (RequestMessage.payloadJson): it must be byte for byte what
// JSON.stringify(payload) gives, as the worker read before (the transport's
// codec-body test: that text makes the same body).
import { describe, expect, it } from 'vitest';
import { payloadJson } from '../src/payload-text.ts';

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
