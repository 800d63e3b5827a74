// Fast-lane messages (decision 0016): a request answered to the gateway's
// server-named queue, naming its session in a header; responses that are not
// persisted and name the session, since one queue serves all of a gateway's.
import type { ConsumeMessage } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { HEADERS, topology } from '@warren/protocol';
import { decodeRequest, decodeResponses, encodeRequest, encodeResponse, encodeResponses } from '../src/amqp/codec.ts';

const asMessage = ({ body, properties }: { body: Buffer; properties: object }, redelivered = false) =>
  ({ content: body, properties: { headers: {}, ...properties }, fields: { routingKey: 't.fast.echo', redelivered } }) as unknown as ConsumeMessage;

describe('fast-lane requests', () => {
  const topo = topology('t');
  const fastRequest = () => encodeRequest(topo, { id: 'r1', type: 'echo', payload: { a: 1 }, session: 's1', replyTo: 'amq.gen-abc', batchReplies: true });

  it('decode as fast with the session from the header and the server-named reply_to', () => {
    const decoded = decodeRequest(topo, asMessage(fastRequest()), { fast: true });
    expect(decoded.ok && decoded.value.request).toEqual({
      id: 'r1',
      type: 'echo',
      payload: { a: 1 },
      session: 's1',
      replyTo: 'amq.gen-abc',
      fast: true,
      batchReplies: true,
    });
  });

  it('are refused without the session header, or with a reply_to that is not server-named', () => {
    const noSession = fastRequest();
    delete (noSession.properties.headers as Record<string, unknown>)[HEADERS.session];
    expect(decodeRequest(topo, asMessage(noSession), { fast: true }).ok).toBe(false);
    const named = encodeRequest(topo, { id: 'r1', type: 'echo', payload: 1, session: 's1', replyTo: topo.replyQueue('s1') });
    expect(decodeRequest(topo, asMessage(named), { fast: true }).ok).toBe(false);
  });

  it('encode with fastReplyTo as the copied request did, but not persistent', () => {
    const request = { id: 'r1', type: 'echo', payload: { a: 1 }, session: 's1', deadline: 5000, traceparent: 'tp' };
    const fast = encodeRequest(topo, request, 1000, 'amq.gen-abc');
    const copied = encodeRequest(topo, { ...request, replyTo: 'amq.gen-abc', batchReplies: true }, 1000);
    expect(fast.body.equals(copied.body)).toBe(true);
    expect(fast.properties).toEqual({ ...copied.properties, persistent: false });
    expect(request).not.toHaveProperty('replyTo');
  });

  it('are not fast, and refused, on the durable path (a server-named reply_to is no Warren queue there)', () => {
    expect(decodeRequest(topo, asMessage(fastRequest())).ok).toBe(false);
  });
});

describe('fast-lane responses', () => {
  const response = { kind: 'result' as const, id: 'r1', seq: 0, attempt: 1, data: 2 };

  it('are not persistent and name their session', () => {
    for (const { properties } of [encodeResponse(response, 's1'), encodeResponses([response], 's1')]) {
      expect(properties.persistent).toBe(false);
      expect(properties.headers).toEqual({ [HEADERS.session]: 's1' });
    }
  });

  it('leave durable responses as they were: persistent, no headers', () => {
    const { properties } = encodeResponse(response);
    expect(properties.persistent).toBe(true);
    expect(properties.headers).toBeUndefined();
  });

  it('decode like any reply, one or a batch', () => {
    const batch = encodeResponses(
      [
        { ...response, kind: 'chunk', data: 1 },
        { ...response, seq: 1 },
      ],
      's1',
    );
    const { responses, errors } = decodeResponses(asMessage(batch));
    expect(errors).toEqual([]);
    expect(responses.map((r) => [r.kind, r.seq])).toEqual([
      ['chunk', 0],
      ['result', 1],
    ]);
  });
});
