// A local run hands the transport what a worker hands it: each chunk's and
// the result's data with the JSON text its check made (DATA_JSON), so the
// message body reuses the text and the data is stringified once, not twice.
import { describe, expect, it } from 'vitest';
import type { Response } from '@warren/protocol';
import { DATA_JSON, type OutgoingResponse, type WorkerTransport } from '@warren/transport';
import { runLocally } from '../src/local-run.ts';
import { quiet } from './support.ts';

/** Data that counts how often it is stringified (JSON.stringify calls toJSON once each time). */
const counted = (text: string) => {
  const data = {
    stringified: 0,
    toJSON() {
      data.stringified++;
      return { text };
    },
  };
  return data;
};

const run = async (handler: (payload: unknown, ctx: { sendChunk(data: unknown): Promise<void> }) => unknown) => {
  const sent: OutgoingResponse[] = [];
  const transport = {
    publishResponse: async (_session: string, response: OutgoingResponse) => {
      sent.push(response);
      return 'delivered' as const;
    },
  } as unknown as WorkerTransport;
  const local = runLocally(handler as never, {
    transport,
    sessionId: 's1',
    id: 'r1',
    type: 'big',
    payload: null,
    principal: undefined,
    deadline: Date.now() + 5_000,
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    log: quiet,
  });
  await local.done;
  return sent;
};

describe('a local run', () => {
  it('stringifies a large chunk and result once, handing the text to the transport', async () => {
    const chunk = counted('c'.repeat(5_000));
    const result = counted('r'.repeat(5_000));
    const sent = await run(async (_payload, ctx) => {
      await ctx.sendChunk(chunk);
      return result;
    });
    expect(sent.map((r) => [r.kind, r.seq])).toEqual([
      ['chunk', 0],
      ['result', 1],
    ]);
    expect(chunk.stringified).toBe(1);
    expect(result.stringified).toBe(1);
    expect(sent[0]![DATA_JSON]).toBe(JSON.stringify({ text: 'c'.repeat(5_000) }));
    expect(sent[1]![DATA_JSON]).toBe(JSON.stringify({ text: 'r'.repeat(5_000) }));
  });

  it('sends small data and errors as plain envelopes', async () => {
    const sent = await run(async (_payload, ctx) => {
      await ctx.sendChunk({ n: 1 });
      throw Object.assign(new Error('no'), { code: 'NOT_FOUND' });
    });
    expect(sent[0]).toEqual({ kind: 'chunk', id: 'r1', seq: 0, attempt: 1, data: { n: 1 } } satisfies Response);
    expect(DATA_JSON in sent[0]!).toBe(false);
    expect(sent[1]?.kind).toBe('error');
  });
});
