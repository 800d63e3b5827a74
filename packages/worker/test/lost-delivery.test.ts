// Every delivery of a channel shares its `lost` signal, watched by one
// listener (run-request.ts): losing the channel still aborts each run that
// is going on, with DISCONNECTED, and leaves it unsettled for the redelivery.
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { WarrenError } from '@warren/protocol';
import { createMemoryBroker, memoryTransport } from '@warren/transport';
import { createCancelMemory, runRequest } from '../src/run-request.ts';

describe('a lost channel', () => {
  it('aborts every run still going on it, and none that had ended', async () => {
    const transport = memoryTransport(createMemoryBroker());
    await transport.consumeReplies('s', () => {}, { prefetch: 16 });
    const deps = { transport, log: pino({ level: 'silent' }), cancels: createCancelMemory(), chunkWindow: 16 };
    const channel = new AbortController();
    const settled: string[] = [];
    const aborted: Array<string | undefined> = [];
    const delivery = (id: string) => ({
      request: { id, type: 't', payload: id, session: 's' },
      attempt: 1,
      ack: () => void settled.push(`${id} ack`),
      requeue: () => void settled.push(`${id} requeue`),
      lost: channel.signal,
    });
    const hanging = (_payload: unknown, ctx: { signal: AbortSignal; id: string }) =>
      new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve(aborted.push((ctx.signal.reason as WarrenError).code))));

    const quick = runRequest(deps, (payload) => payload, delivery('quick'));
    expect(await quick.done).toBeUndefined();
    const first = runRequest(deps, hanging, delivery('first'));
    const second = runRequest(deps, hanging, delivery('second'));
    await new Promise((resolve) => setTimeout(resolve, 5));
    channel.abort();
    await Promise.all([first.done, second.done]);

    expect(aborted).toEqual(['DISCONNECTED', 'DISCONNECTED']);
    // The ended run was acked once; the lost ones are left to the broker's redelivery.
    expect(settled).toEqual(['quick ack']);
  });

  it('does not abort a run that starts on a channel already lost (it is dropped unsettled after)', async () => {
    const transport = memoryTransport(createMemoryBroker());
    await transport.consumeReplies('s', () => {}, { prefetch: 16 });
    const channel = new AbortController();
    channel.abort();
    let signalAborted: boolean | undefined;
    const settled: string[] = [];
    const run = runRequest(
      { transport, log: pino({ level: 'silent' }), cancels: createCancelMemory(), chunkWindow: 16 },
      (_p, ctx) => {
        signalAborted = ctx.signal.aborted;
        return 'ok';
      },
      {
        request: { id: 'r', type: 't', payload: null, session: 's' },
        attempt: 1,
        ack: () => void settled.push('ack'),
        requeue: () => {},
        lost: channel.signal,
      },
    );
    await run.done;
    expect(signalAborted).toBe(false);
    expect(settled).toEqual([]);
  });
});
