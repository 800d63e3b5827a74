// A large reply's data kept as the worker's bytes (capability data-bytes):
// the envelope parsed and checked as a whole parse would, the data's bounds
// the ones a parser finds, and anything not shaped for it left to the whole
// parse (which reports what is wrong).
import { describe, expect, it } from 'vitest';
import { parseResponse } from '@warren/protocol';
import { dataBytesOf, decodeWithDataBytes, locateData } from '../src/amqp/data-bytes.ts';

const big = 'x'.repeat(70_000);
const datas: unknown[] = [
  { tag: 'bench', data: big },
  big,
  [1, -2.5e-3, true, false, null, 'a"b\\', { '}': ']', '"': '\\"' }, [[[]]], {}],
  { nested: { deep: [{ a: 'x\\' }, '\\\\', 'é ☃ 𝄞'] }, text: big },
  0,
  null,
  'tail"}',
];

const body = (text: string) => Buffer.from(text);
const whole = (text: string) => {
  const parsed = parseResponse(JSON.parse(text));
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.value;
};

describe('decodeWithDataBytes', () => {
  it('gives the envelope and data a whole parse gives, with the data as its JSON bytes', () => {
    for (const data of datas) {
      for (const text of [
        JSON.stringify({ kind: 'result', id: 'r-1', seq: 0, attempt: 1, data }),
        JSON.stringify({ data, kind: 'chunk', id: 'r-2', seq: 3, attempt: 2, worker: { instance: 'w"1', language: 'node' } }),
        ` { "kind" : "result" ,\n"id":"r-3", "data" :\t${JSON.stringify(data, null, 2)} , "seq":0,"attempt":1 }\n`,
      ]) {
        const response = decodeWithDataBytes(body(text));
        expect(response, text.slice(0, 80)).toBeDefined();
        const bytes = dataBytesOf(response!);
        expect(JSON.parse(Buffer.from(bytes!).toString())).toEqual(data);
        expect({ ...response! }).toEqual({ ...whole(text), data });
      }
    }
  });

  it('parses the data once read and forgets the bytes; a replaced data is kept', () => {
    const text = JSON.stringify({ kind: 'result', id: 'r', seq: 0, attempt: 1, data: { a: [1, 2] } });
    const read = decodeWithDataBytes(body(text))!;
    expect(dataBytesOf(read)).toBeDefined();
    expect(read.kind === 'result' && read.data).toEqual({ a: [1, 2] });
    expect(dataBytesOf(read)).toBeUndefined();
    const replaced = decodeWithDataBytes(body(text))!;
    (replaced as { data: unknown }).data = 'redacted';
    expect(dataBytesOf(replaced)).toBeUndefined();
    expect(JSON.parse(JSON.stringify(replaced)).data).toBe('redacted');
  });

  it('keeps bytes that are not JSON (the client drops them) and throws only when they are read', () => {
    const response = decodeWithDataBytes(body('{"kind":"result","id":"r","seq":0,"attempt":1,"data":[1 2, nope]}'))!;
    expect(Buffer.from(dataBytesOf(response)!).toString()).toBe('[1 2, nope]');
    expect(() => (response as { data: unknown }).data).toThrow(SyntaxError);
    expect(dataBytesOf(response)).toBeDefined();
  });

  it('leaves to the whole parse what is not one plain object with one data key, and error envelopes', () => {
    for (const text of [
      '[{"kind":"result","id":"r","seq":0,"attempt":1,"data":1}]',
      '{"kind":"result","id":"r","seq":0,"attempt":1}',
      '{"kind":"result","id":"r","seq":0,"attempt":1,"data":1,"data":2}',
      '{"kind":"result","id":"r","seq":0,"attempt":1,"d\\u0061ta":2,"data":1}',
      '{"kind":"result","id":"r","seq":0,"attempt":1,"data":[1}]}',
      '{"kind":"result","id":"r","seq":0,"attempt":1,"data":{"a":1]}',
      '{"kind":"result","id":"r","seq":0,"attempt":1,"data":"open}',
      '{"kind":"result","id":"r","seq":0,"attempt":1,"data":1} trailing',
      '{"kind":"result","id":"r","seq":0,"attempt":1,"data":1,}',
      '{"kind":"result","id":"r","seq":"0","attempt":1,"data":1}',
      '{"kind":"error","id":"r","seq":0,"attempt":1,"data":1,"error":{"code":"TIMEOUT","message":"m"}}',
      '{"kind":"result","id":"r","seq":0,"attempt":1,"worker":{"data":1}}',
    ]) {
      expect(decodeWithDataBytes(body(text)), text).toBeUndefined();
    }
  });

  it('finds the top-level data key only', () => {
    const text = '{"worker":{"instance":"\\"data\\":","language":"x","data":5},"kind":"chunk","id":"r","seq":1,"attempt":1,"data":"y"}';
    const at = locateData(body(text))!;
    expect(text.slice(at[0], at[1])).toBe('"y"');
  });
});
