// A durable response goes to the confirming publisher as its JSON text when
// small, as a fast one goes to the fast channel: the frame encoder writes
// its UTF-8 straight into the frames, with no Buffer made for it first
// (publish-frames.ts). The same bytes, properties and queue as before.
import { topology, type Response } from '@warren/protocol';
import type { Options } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { createResponses } from '../src/amqp/responses.ts';
import type { Publisher } from '../src/amqp/publisher.ts';

const topo = topology('texttest');

const published: Array<{ exchange: string; routingKey: string; body: Buffer | string; properties: Options.Publish }> = [];
const publisher: Publisher = {
  publish: async (exchange, routingKey, body, properties) => {
    published.push({ exchange, routingKey, body, properties });
    return 'confirmed';
  },
  attach: async () => {},
  detach: () => {},
};
const responses = createResponses({
  topo,
  log: { debug() {}, info() {}, warn() {}, error() {} } as never,
  publisher,
  fastChannel: {} as never,
  subscriptions: {} as never,
  replyQueueType: undefined,
});

describe('durable responses on the confirming publisher', () => {
  it('hands it a small response as its JSON text, persistent and mandatory, to the session reply queue', async () => {
    published.length = 0;
    const result: Response = { kind: 'result', id: 'r1', seq: 0, attempt: 1, data: { text: 'hé' } };
    const chunk: Response = { kind: 'chunk', id: 'r1', seq: 0, attempt: 1, data: 1 };
    expect(await responses.publishResponse('s1', result, undefined)).toBe('delivered');
    expect(await responses.publishResponses('s1', [chunk, result], 'texttest.call.c1')).toBe('delivered');
    expect(published.map((p) => [p.exchange, p.routingKey, p.body])).toEqual([
      ['', topo.replyQueue('s1'), JSON.stringify(result)],
      ['', 'texttest.call.c1', JSON.stringify([chunk, result])],
    ]);
    expect(published[0]!.properties).toMatchObject({ contentType: 'application/json', persistent: true, mandatory: true, correlationId: 'r1', type: 'result' });
    expect(published[1]!.properties).toMatchObject({ persistent: true, mandatory: true, correlationId: 'r1', type: 'batch' });
  });
});
