// A retained call's request (decision 0014): reply_to is the call queue and
// the session/id are the 32-character call id; workers must take it as is.
import type { ConsumeMessage } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { HEADERS, topology } from '@warren/protocol';
import { decodeRequest, encodeRequest } from '../src/amqp/codec.ts';

const asMessage = ({ body, properties }: { body: Buffer; properties: object }) =>
  ({ content: body, properties: { headers: {}, ...properties }, fields: { routingKey: 'echo', redelivered: false } }) as unknown as ConsumeMessage;

describe('retained call requests', () => {
  const topo = topology('t');
  const call = 'AAAAAAAAAAAAAAAAb-_9b-_9b-_9b-_9';

  it('go out with the call queue as reply_to and decode with it and the call as session', () => {
    const encoded = encodeRequest(topo, { id: call, type: 'echo', payload: 1, session: call, replyTo: topo.callQueue(call) });
    expect(encoded.properties.replyTo).toBe(`t.call.${call}`);
    const decoded = decodeRequest(topo, asMessage(encoded));
    expect(decoded.ok && decoded.value.request).toMatchObject({ id: call, session: call, replyTo: `t.call.${call}` });
  });

  it('take the session from the call queue when the header is missing', () => {
    const encoded = encodeRequest(topo, { id: call, type: 'echo', payload: 1, session: call, replyTo: topo.callQueue(call) });
    delete (encoded.properties.headers as Record<string, unknown>)[HEADERS.session];
    const decoded = decodeRequest(topo, asMessage(encoded));
    expect(decoded.ok && decoded.value.request.session).toBe(call);
  });

  it('still refuse a reply_to outside the namespace', () => {
    const encoded = encodeRequest(topo, { id: 'r', type: 'echo', payload: 1, session: 's', replyTo: 'elsewhere.call.x' });
    expect(decodeRequest(topo, asMessage(encoded)).ok).toBe(false);
  });
});
