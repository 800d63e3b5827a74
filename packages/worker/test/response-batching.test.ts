// Chunks a handler sends within one tick leave as one batch message when the
// reply consumer reads batches; numbering, the window and confirm-before-ack
// stay as they were.
import { describe, expect, it } from 'vitest';
import type { Response } from '@warren/protocol';
import type { Transport } from '@warren/transport';
import { createResponseStream } from '../src/response-stream.ts';

const recordingTransport = () => {
  const messages: Response[][] = [];
  const transport = {
    publishResponse: async (_session: string, response: Response) => {
      messages.push([response]);
      return 'delivered' as const;
    },
    publishResponses: async (_session: string, responses: readonly Response[]) => {
      messages.push([...responses]);
      return 'delivered' as const;
    },
  } as unknown as Transport;
  return { transport, messages };
};

describe('response stream batching', () => {
  it('sends a burst of chunks and the final as one message', async () => {
    const { transport, messages } = recordingTransport();
    const stream = createResponseStream(transport, 's', 'r1', 1, 256, true);
    for (let i = 0; i < 10; i++) await stream.chunk({ i });
    await stream.final({ kind: 'result', data: { n: 10 } });
    expect(messages).toHaveLength(1);
    expect(messages[0]!.map((r) => r.seq)).toEqual([...Array(11).keys()]);
    expect(messages[0]!.at(-1)!.kind).toBe('result');
  });

  it('sends each chunk alone when the handler pauses between them', async () => {
    const { transport, messages } = recordingTransport();
    const stream = createResponseStream(transport, 's', 'r1', 1, 256, true);
    for (let i = 0; i < 3; i++) {
      await stream.chunk({ i });
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await stream.final({ kind: 'result', data: null });
    expect(messages.map((m) => m.length)).toEqual([1, 1, 1, 1]);
  });

  it('publishes one by one when the reply consumer does not read batches', async () => {
    const { transport, messages } = recordingTransport();
    const stream = createResponseStream(transport, 's', 'r1', 1, 256, false);
    for (let i = 0; i < 5; i++) await stream.chunk({ i });
    await stream.final({ kind: 'result', data: null });
    expect(messages.map((m) => m.length)).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('sends a chunk bigger than the byte cap alone, so prefetch still bounds the gateway buffer', async () => {
    const { transport, messages } = recordingTransport();
    const stream = createResponseStream(transport, 's', 'r1', 1, 256, true);
    const big = 'x'.repeat(20_000);
    await stream.chunk('small');
    await stream.chunk(big);
    await stream.chunk(big);
    await stream.chunk('small');
    await stream.final({ kind: 'result', data: null });
    expect(messages.map((m) => m.length)).toEqual([1, 1, 1, 2]);
  });

  it('caps a batch and waits on the window like single publishes do', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const messages: number[] = [];
    const transport = {
      publishResponse: async () => 'delivered' as const,
      publishResponses: async (_s: string, responses: readonly Response[]) => {
        messages.push(responses.length);
        await gate;
        return 'delivered' as const;
      },
    } as unknown as Transport;
    const stream = createResponseStream(transport, 's', 'r1', 1, 300, true);
    let sent = 0;
    const producing = (async () => {
      for (let i = 0; i < 400; i++) {
        await stream.chunk(i);
        sent += 1;
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(sent).toBeLessThan(400); // held by the window until the broker confirms
    expect(Math.max(...messages)).toBeLessThanOrEqual(128);
    release();
    await producing;
    await stream.final({ kind: 'result', data: null });
    expect(messages.reduce((a, b) => a + b, 0)).toBe(401);
  });
});

describe('response stream lifecycle', () => {
  const hop = { instance: 'w@host:1:abc', language: 'typescript', service: 'svc', startedAt: 1767225600000 };

  it('stamps only the first response of the attempt with the worker hop', async () => {
    const { transport, messages } = recordingTransport();
    const stream = createResponseStream(transport, 's', 'r1', 2, 256, true, undefined, undefined, undefined, hop);
    await stream.chunk({ i: 0 });
    await stream.chunk({ i: 1 });
    await stream.final({ kind: 'result', data: null });
    const sent = messages.flat();
    expect(sent.map((r) => r.worker)).toEqual([hop, undefined, undefined]);
  });

  it('stamps the final when it is the first response (no chunks)', async () => {
    const { transport, messages } = recordingTransport();
    const stream = createResponseStream(transport, 's', 'r1', 1, 256, false, undefined, undefined, undefined, hop);
    await stream.final({ kind: 'error', error: { code: 'TIMEOUT', message: 'late' } });
    expect(messages.flat()).toEqual([{ kind: 'error', id: 'r1', seq: 0, attempt: 1, error: { code: 'TIMEOUT', message: 'late' }, worker: hop }]);
  });

  it('publishes a lone final on its own, with its key order as JSON, and breaks the stream when it fails', async () => {
    const { transport, messages } = recordingTransport();
    const told: number[] = [];
    const stream = createResponseStream(transport, 's', 'r1', 1, 256, true, undefined, undefined, (responses) => told.push(responses.length), hop);
    await stream.final({ kind: 'result', data: { a: 1 } });
    expect(JSON.stringify(messages)).toBe(`[[{"kind":"result","id":"r1","seq":0,"attempt":1,"data":{"a":1},"worker":${JSON.stringify(hop)}}]]`);
    expect(told).toEqual([1]);
    const failing = { publishResponse: async () => Promise.reject(new Error('channel closed')) } as unknown as Transport;
    const broken = createResponseStream(failing, 's', 'r2', 1, 256, false);
    const seen: unknown[] = [];
    broken.onBroken((reason) => seen.push(reason));
    await expect(broken.final({ kind: 'result', data: null })).rejects.toThrow('channel closed');
    expect((broken.broken()?.reason as Error).message).toBe('channel closed');
    expect(seen).toHaveLength(1);
  });

  it('tells the observer each response once the broker confirmed it', async () => {
    const { transport } = recordingTransport();
    const published: number[] = [];
    const stream = createResponseStream(transport, 's', 'r1', 1, 256, true, undefined, undefined, (responses) =>
      published.push(...responses.map((r) => r.seq)),
    );
    await stream.chunk({ i: 0 });
    await stream.chunk({ i: 1 });
    await stream.final({ kind: 'result', data: 2 });
    expect(published).toEqual([0, 1, 2]);
  });

  it('rejects a chunk that is not JSON (never throws), spends no seq on it and keeps streaming', async () => {
    const { transport, messages } = recordingTransport();
    const stream = createResponseStream(transport, 's', 'r1', 1, 256, true);
    let sent: Promise<void> | undefined;
    expect(() => {
      sent = stream.chunk({ n: 1n });
    }).not.toThrow();
    await expect(sent).rejects.toThrow();
    await stream.chunk({ i: 0 });
    await stream.final({ kind: 'result', data: 1 });
    expect(messages.flat().map((r) => [r.kind, r.seq])).toEqual([
      ['chunk', 0],
      ['result', 1],
    ]);
  });
});
