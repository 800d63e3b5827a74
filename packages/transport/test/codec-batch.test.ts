// Batch replies (a capability within protocol version 1): requests say the gateway reads them, and a
// batch message decodes to its responses in order.
import type { ConsumeMessage } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { HEADERS, topology, type Response } from '@warren/protocol';
import { decodeRequest, decodeResponses, encodeRequest, encodeResponse, encodeResponses } from '../src/amqp/codec.ts';

const asMessage = ({ body, properties }: { body: Buffer; properties: object }) =>
  ({ content: body, properties: { headers: {}, ...properties }, fields: { routingKey: 'echo', redelivered: false } }) as unknown as ConsumeMessage;

describe('batch replies', () => {
  const topo = topology('t');
  it('carries the capability from gateway to worker', () => {
    const encoded = encodeRequest(topo, { id: 'r1', type: 'echo', payload: 1, session: 's', batchReplies: true });
    expect((encoded.properties.headers as Record<string, unknown>)[HEADERS.batch]).toBe(1);
    const decoded = decodeRequest(topo, asMessage(encoded));
    expect(decoded.ok && decoded.value.request.batchReplies).toBe(true);
    const plain = decodeRequest(topo, asMessage(encodeRequest(topo, { id: 'r2', type: 'echo', payload: 1, session: 's' })));
    expect(plain.ok && plain.value.request.batchReplies).toBeUndefined();
  });

  it('decodes a batch in order, and a single message as one response', () => {
    const responses: Response[] = [
      { kind: 'chunk', id: 'r1', seq: 0, attempt: 1, data: 'a' },
      { kind: 'chunk', id: 'r1', seq: 1, attempt: 1, data: 'b' },
      { kind: 'result', id: 'r1', seq: 2, attempt: 1, data: { n: 2 } },
    ];
    expect(decodeResponses(asMessage(encodeResponses(responses)))).toEqual({ responses, errors: [] });
    expect(decodeResponses(asMessage(encodeResponse(responses[2]!)))).toEqual({ responses: [responses[2]], errors: [] });
  });

  it('drops malformed entries of a batch and keeps the rest', () => {
    const good: Response = { kind: 'result', id: 'r1', seq: 1, attempt: 1, data: null };
    const message = asMessage({ body: Buffer.from(JSON.stringify([{ kind: 'chunk' }, good])), properties: { type: 'batch' } });
    const decoded = decodeResponses(message);
    expect(decoded.responses).toEqual([good]);
    expect(decoded.errors).toHaveLength(1);
  });
});
