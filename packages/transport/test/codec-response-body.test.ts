// A response whose data's JSON text the worker already has (DATA_JSON, its
// JSON check made it) goes out with that text spliced into the envelope: the
// same bytes as stringifying the whole envelope, one stringify of the data less.
import { describe, expect, it } from 'vitest';
import type { Response } from '@warren/protocol';
import { encodeResponse, encodeResponsePayload, encodeResponses, encodeResponsesPayload } from '../src/amqp/codec.ts';
import { createMemoryBroker, memoryTransport } from '../src/index.ts';
import { DATA_JSON, withDataJson } from '../src/response-json.ts';

const pad = 'p'.repeat(2000);
const values: unknown[] = [
  null,
  0,
  -0,
  1e21,
  -1.5e-7,
  Number.MAX_SAFE_INTEGER,
  Number.NaN,
  true,
  '',
  'a "quoted" \\ back\nslash\u0000\u001f\u2028',
  'é中😀',
  '\ud800 lone high, lone low \udc00, reversed \udc00\ud800',
  [1, [2, [3, []]], { a: null }],
  { nested: { deeper: { list: [1, 'two', { three: 3 }] } }, undefinedKey: undefined, '10': 'integer-like key', z: 1 },
  { toJSON: () => ({ swapped: true }) },
  new Date(0),
  'x'.repeat(100_000),
];
// Short data texts are stringified with the envelope; long ones (most of these padded) are spliced in.
const datas = [...values, ...values.map((value) => [value, pad]), ...values.map((value) => ({ value, pad }))];

const hop = { instance: 'w1@host:1:abc', language: 'typescript', service: 'svc', startedAt: 1767225600000 };
const envelopes = (data: unknown): Response[] => [
  { kind: 'chunk', id: 'r', seq: 3, attempt: 1, data },
  { kind: 'result', id: 'r', seq: 0, attempt: 2, data },
  // As the worker stamps seq 0: the hop is spread in after data.
  { ...({ kind: 'chunk', id: 'r', seq: 0, attempt: 1, data } as Response), worker: hop },
  // And before data, as another publisher might build it.
  { kind: 'result', id: 'r', seq: 0, attempt: 1, worker: hop, data },
];
const carrying = (response: Response) => withDataJson(response, JSON.stringify((response as { data: unknown }).data));

describe('a response body from the carried data text', () => {
  it('is byte-identical to stringifying the envelope, for every kind of value and key order', () => {
    for (const data of datas) {
      for (const response of envelopes(data)) {
        const expected = Buffer.from(JSON.stringify(response));
        expect(encodeResponse(carrying(response)).body.equals(expected), JSON.stringify(response).slice(0, 80)).toBe(true);
      }
    }
  });

  it('is byte-identical in a batch, mixed with responses that carry no text and errors', () => {
    const batch = datas.flatMap((data, i) => {
      const [chunk, result] = envelopes(data);
      return i % 2 === 0 ? [carrying(chunk!), result!] : [chunk!, carrying(result!)];
    });
    batch.push({ kind: 'error', id: 'r', seq: 99, attempt: 1, error: { code: 'WORKER_ERROR', message: 'é\ud800' } });
    expect(encodeResponses(batch).body.equals(Buffer.from(JSON.stringify(batch)))).toBe(true);
  });

  it('is the same text as published on either lane: a string when small, the spliced bytes when carried', () => {
    const utf8 = (body: Buffer | string) => (typeof body === 'string' ? Buffer.from(body) : body);
    for (const data of datas) {
      for (const response of envelopes(data)) {
        const expected = Buffer.from(JSON.stringify(response));
        for (const session of ['s', undefined]) {
          expect(utf8(encodeResponsePayload(carrying(response), session).body).equals(expected)).toBe(true);
          expect(utf8(encodeResponsesPayload([response, carrying(response)], session).body).equals(Buffer.from(JSON.stringify([response, response])))).toBe(
            true,
          );
        }
      }
    }
    const small: Response = { kind: 'result', id: 'r', seq: 0, attempt: 1, worker: hop, data: { text: 'hi' } };
    for (const session of ['s', undefined]) {
      expect(encodeResponsePayload(small, session).body).toBe(JSON.stringify(small));
      expect(encodeResponsesPayload([small], session).body).toBe(JSON.stringify([small]));
      expect(encodeResponsePayload(small, session).properties).toEqual(encodeResponse(small, session).properties);
      expect(encodeResponsesPayload([small], session).properties).toEqual(encodeResponses([small], session).properties);
    }
  });

  it('uses the carried text, not a second stringify of the data', () => {
    const text = `{"a":1,"from":"${pad}"}`;
    const response = withDataJson({ kind: 'result', id: 'r', seq: 0, attempt: 1, data: { a: 1 } } satisfies Response, text);
    expect(encodeResponse(response).body.toString()).toBe(`{"kind":"result","id":"r","seq":0,"attempt":1,"data":${text}}`);
    expect(encodeResponses([response]).body.toString()).toBe(`[{"kind":"result","id":"r","seq":0,"attempt":1,"data":${text}}]`);
    const stamped = withDataJson({ kind: 'chunk', id: 'r', seq: 0, attempt: 1, data: 0, worker: hop } satisfies Response, text);
    expect(encodeResponse(stamped).body.toString()).toBe(`{"kind":"chunk","id":"r","seq":0,"attempt":1,"data":${text},"worker":${JSON.stringify(hop)}}`);
  });

  it('stringifies a response without the text, as before', () => {
    const response: Response = { kind: 'chunk', id: 'r', seq: 1, attempt: 1, data: { b: [1, 2] } };
    expect(encodeResponse(response).body.toString()).toBe('{"kind":"chunk","id":"r","seq":1,"attempt":1,"data":{"b":[1,2]}}');
    expect(encodeResponses([response, response]).body.toString()).toBe(`[${JSON.stringify(response)},${JSON.stringify(response)}]`);
    // Data with no JSON (a function) has no text to carry: the key is left out, as JSON.stringify does.
    const noJson = withDataJson({ kind: 'result', id: 'r', seq: 2, attempt: 1, data: () => 1 } satisfies Response, undefined);
    expect(encodeResponse(noJson).body.toString()).toBe('{"kind":"result","id":"r","seq":2,"attempt":1}');
  });

  it('never puts the text on the wire as a field, nor changes the envelope it was added to', () => {
    const plain: Response = { kind: 'chunk', id: 'r', seq: 0, attempt: 1, data: pad };
    const carried = withDataJson(plain, JSON.stringify(pad));
    expect(carried[DATA_JSON]).toBe(JSON.stringify(pad));
    expect(JSON.stringify(carried)).toBe(JSON.stringify(plain));
    expect(Object.keys(carried)).toEqual(Object.keys(plain));
    expect(DATA_JSON in plain).toBe(false);
    // A short text is not worth carrying: stringifying the small envelope whole is cheaper.
    const short: Response = { kind: 'chunk', id: 'r', seq: 0, attempt: 1, data: 'v' };
    expect(withDataJson(short, '"v"')).toBe(short);
  });

  it('reaches a memory-transport gateway as the plain envelope', async () => {
    const broker = createMemoryBroker();
    const gateway = memoryTransport(broker);
    const worker = memoryTransport(broker);
    const received: Response[] = [];
    await gateway.consumeReplies(
      's',
      (response, settle) => {
        settle();
        received.push(response);
      },
      { prefetch: 10 },
    );
    const response: Response = { kind: 'result', id: 'r', seq: 0, attempt: 1, data: { n: 'é😀', pad } };
    expect(await worker.publishResponse('s', carrying(response))).toBe('delivered');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(received).toEqual([response]);
    expect(DATA_JSON in received[0]!).toBe(false);
    await Promise.all([gateway.close(), worker.close()]);
  });
});
