// A request whose publisher already has the payload's JSON text
// (RequestMessage.payloadJson, the gateway's checked text) goes out with that
// text as its body: the same bytes as stringifying the payload, not a second pass.
import { describe, expect, it } from 'vitest';
import { topology } from '@warren/protocol';
import { decodeRequest, encodeRequest } from '../src/amqp/codec.ts';

const topo = topology('t');
const base = { id: 'r', type: 'echo', session: 's' };

describe('a request body from the given payload text', () => {
  it('is that text, the same bytes as stringifying the payload', () => {
    for (const payload of [null, 7, 'a "b"', [1, [2]], { text: 'x'.repeat(80), n: 1, u: 'é中😀' }]) {
      const text = JSON.stringify(payload);
      const reused = encodeRequest(topo, { ...base, payload, payloadJson: text }, 1000);
      expect(reused.body.equals(encodeRequest(topo, { ...base, payload }, 1000).body)).toBe(true);
      expect(reused.body.toString()).toBe(text);
    }
  });

  it('is the text when given, not a re-encoding of the payload object', () => {
    const encoded = encodeRequest(topo, { ...base, payload: { a: 1 }, payloadJson: '{"a":1,"from":"text"}', replyTo: topo.replyQueue('s') }, 1000);
    expect(encoded.body.toString()).toBe('{"a":1,"from":"text"}');
    const decoded = decodeRequest(topo, {
      content: encoded.body,
      properties: { headers: {}, ...encoded.properties },
      fields: { routingKey: 'echo', redelivered: false },
    } as never);
    expect(decoded.ok && decoded.value.request.payload).toEqual({ a: 1, from: 'text' });
  });

  it('is the stringified payload when no text is given (null for none)', () => {
    expect(encodeRequest(topo, { ...base, payload: { a: 1 } }).body.toString()).toBe('{"a":1}');
    expect(encodeRequest(topo, { ...base, payload: undefined }).body.toString()).toBe('null');
  });
});
