// The call log's recording transport sits between the transport and the reply
// relay. It must pass on each response's `bytes`: without them the relay sizes
// every response by stringifying it again (a whole pass over a 1 MB answer).
import type { Response } from '@warren/protocol';
import type { Transport } from '@warren/transport';
import { describe, expect, it } from 'vitest';
import { createCallLog, recordingTransport } from '../src/ops/call-log.ts';

const response = { id: 'r', seq: 0, final: true, ok: true, data: 'x' } as unknown as Response;

describe('the recording transport', () => {
  it("passes each response's bytes on, on the durable path and the fast lane", async () => {
    const inner = {
      consumeReplies: async (_session: string, listener: (r: Response, settle: () => void, bytes?: number) => void) => {
        listener(response, () => {}, 1234);
        return { cancel: async () => {} };
      },
      openFastLane: async (listener: { response(session: string, r: Response, bytes?: number): void }) => {
        listener.response('s', response, 77);
        return { publish: async () => {}, close: async () => {} };
      },
    } as unknown as Transport;
    const wrapped = recordingTransport(inner, createCallLog(), () => {});
    const seen: (number | undefined)[] = [];
    await wrapped.consumeReplies('s', (_r, _settle, bytes) => seen.push(bytes), { prefetch: 1 });
    await wrapped.openFastLane!({ response: (_s, _r, bytes) => seen.push(bytes), returned: () => {} });
    expect(seen).toEqual([1234, 77]);
  });
});
