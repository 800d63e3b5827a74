// The worker hands each chunk and result to its transport with the JSON text
// its check made (DATA_JSON), so the message body does not stringify the data
// again; the gateway still receives the plain envelope.
import { afterEach, describe, expect, it } from 'vitest';
import type { Response } from '@warren/protocol';
import { DATA_JSON, type OutgoingResponse, type Transport } from '@warren/transport';
import { registerHandlers, type WorkerHandle } from '@warren/worker';
import { createHarness, quietLog } from './harness.ts';

const handles: WorkerHandle[] = [];
afterEach(async () => {
  await Promise.all(handles.splice(0).map((w) => w.close()));
});

/** The memory transport, recording what the worker hands to publishResponse. */
const recording = (inner: Transport) => {
  const published: OutgoingResponse[] = [];
  const transport: Transport = {
    ...inner,
    status: () => inner.status(),
    publishResponse: (session, response, replyTo, options) => {
      published.push(response);
      return inner.publishResponse(session, response, replyTo, options);
    },
  };
  return { transport, published };
};

const dataOf = (response: Response) => (response.kind === 'error' ? undefined : response.data);

describe('the response text the worker hands its transport', () => {
  it('is JSON.stringify(data) of every long chunk and result, and never reaches the gateway', async () => {
    const h = createHarness();
    const { transport, published } = recording(h.workerTransport());
    const long = 'é\ud800😀'.repeat(500);
    const chunks: unknown[] = [long, { n: -0, big: 1e21, nested: [[{}]], long }, undefined, 7];
    const result = { list: ['x'.repeat(2000)], u: '中' };
    handles.push(
      await registerHandlers(
        { service: 's', transport, log: quietLog },
        {
          async stream(_payload, ctx) {
            for (const chunk of chunks) await ctx.sendChunk(chunk);
            return result;
          },
          nothing: () => undefined,
        },
      ),
    );
    const list = await (await h.call('stream', null)).done;
    expect(published.map((r) => r.kind)).toEqual(['chunk', 'chunk', 'chunk', 'chunk', 'result']);
    // Long texts travel with their response; short ones are not worth it (the envelope is stringified whole).
    expect(published.map((r) => r[DATA_JSON])).toEqual([JSON.stringify(long), JSON.stringify(chunks[1]), undefined, undefined, JSON.stringify(result)]);
    // The gateway's copy is the plain envelope (as JSON carried it: -0 is 0), no text.
    expect(list.map(dataOf)).toEqual(JSON.parse(JSON.stringify([...chunks.map((c) => c ?? null), result])));
    expect(list.some((r) => DATA_JSON in r)).toBe(false);

    published.length = 0;
    const none = await (await h.call('nothing', null)).done;
    expect(none.map(dataOf)).toEqual([null]);
    expect(DATA_JSON in published[0]!).toBe(false);
  });

  it('is absent from an error, which is stringified as before', async () => {
    const h = createHarness();
    const { transport, published } = recording(h.workerTransport());
    handles.push(
      await registerHandlers(
        { service: 's', transport, log: quietLog },
        {
          fails: () => {
            throw new Error('boom');
          },
        },
      ),
    );
    const list = await (await h.call('fails', null)).done;
    expect(list.map((r) => r.kind)).toEqual(['error']);
    expect(published).toHaveLength(1);
    expect(DATA_JSON in published[0]!).toBe(false);
  });
});
