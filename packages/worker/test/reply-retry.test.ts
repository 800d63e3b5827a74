// A response no queue takes (the broker returned the mandatory publish) is
// sent again within REPLY_RETRY's window; after that the request is done,
// logged undeliverable, and never reported as ok.
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createWarrenError, REPLY_RETRY } from '@warren/protocol';
import { createMemoryBroker, memoryTransport, type ResponseOutcome } from '@warren/transport';
import { isUndeliverable, publishRouted, type RetryClock } from '../src/response-stream.ts';
import { createCancelMemory } from '../src/run-request.ts';
import { runRequest } from '../src/run-request.ts';

const fakeClock = () => {
  let t = 1_000_000;
  const slept: number[] = [];
  const clock: RetryClock = {
    now: () => t,
    sleep: async (ms) => {
      slept.push(ms);
      t += ms;
    },
  };
  return { clock, slept };
};
const outcomes = (...list: ResponseOutcome[]) => {
  let sent = 0;
  return { send: async () => list[Math.min(sent++, list.length - 1)]!, sent: () => sent };
};

describe('publishRouted', () => {
  it('sends once when a queue takes the response', async () => {
    const { clock, slept } = fakeClock();
    const o = outcomes('delivered');
    await publishRouted(o.send, undefined, clock);
    expect(o.sent()).toBe(1);
    expect(slept).toEqual([]);
  });

  it('sends again after 250, 500, 1000 ms while it is returned, and stops as soon as it is routed', async () => {
    const { clock, slept } = fakeClock();
    const o = outcomes('unroutable', 'unroutable', 'unroutable', 'delivered');
    await publishRouted(o.send, undefined, clock);
    expect(o.sent()).toBe(4);
    expect(slept).toEqual([250, 500, 1000]);
  });

  it('gives up after the retry window with an undeliverable error', async () => {
    const { clock, slept } = fakeClock();
    const o = outcomes('unroutable');
    const error = await publishRouted(o.send, undefined, clock).catch((e: unknown) => e);
    expect(isUndeliverable(error)).toBe(true);
    expect(slept.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(REPLY_RETRY.windowMs);
    expect(slept).toEqual([250, 500, 1000, 1000, 1000, 1000]);
  });

  it('sends again after a nack (a quorum queue electing a new leader) and stops as soon as one is confirmed', async () => {
    const { clock, slept } = fakeClock();
    let sent = 0;
    const send = async (): Promise<ResponseOutcome> => {
      sent += 1;
      if (sent <= 2) throw createWarrenError('BROKER_UNAVAILABLE', 'The message broker is unavailable: the broker did not confirm the message.');
      return 'delivered';
    };
    await publishRouted(send, undefined, clock);
    expect(sent).toBe(3);
    expect(slept).toEqual([250, 500]);
  });

  it('hands the broker error on when every try in the window was nacked', async () => {
    const { clock } = fakeClock();
    const nack = createWarrenError('BROKER_UNAVAILABLE', 'The message broker is unavailable: the broker did not confirm the message.');
    const error = await publishRouted(async () => Promise.reject(nack), undefined, clock).catch((e: unknown) => e);
    expect(error).toBe(nack);
    expect(isUndeliverable(error)).toBe(false);
  });

  it('never waits past the request deadline', async () => {
    const { clock, slept } = fakeClock();
    const o = outcomes('unroutable');
    const error = await publishRouted(o.send, clock.now() + 800, clock).catch((e: unknown) => e);
    expect(isUndeliverable(error)).toBe(true);
    expect(slept).toEqual([250, 500]);
  });
});

describe('a request whose answer has no recipient', () => {
  it('is acked, logged undeliverable, and never logged ok', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const broker = createMemoryBroker();
    const transport = memoryTransport(broker);
    let settled: string | undefined;
    let ran = false;
    const run = runRequest(
      { transport, log, cancels: createCancelMemory(), chunkWindow: 16 },
      async () => {
        ran = true;
        return 'answer';
      },
      {
        // No reply queue was ever declared for this session: every publish is returned.
        request: { id: 'r1', type: 't', payload: null, session: 'gone', deadline: Date.now() + 1_200 },
        attempt: 1,
        ack: () => (settled ??= 'ack'),
        requeue: () => (settled ??= 'requeue'),
        lost: new AbortController().signal,
      },
    );
    expect(await run.done).toBe('undeliverable');
    expect(ran).toBe(true);
    expect(settled).toBe('ack');
    expect(lines.some((l) => l.outcome === 'undeliverable')).toBe(true);
    expect(lines.some((l) => l.outcome === 'ok')).toBe(false);
  });
});
