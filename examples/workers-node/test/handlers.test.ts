// The demo handlers behind their contracts, on the memory transport.
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Response } from '@warren/protocol';
import { createMemoryBroker, memoryTransport } from '@warren/transport';
import { registerHandlers, type WorkerHandle } from '@warren/worker';
import { handlers } from '@warren/example-workers-node';

const handles: WorkerHandle[] = [];
afterEach(async () => {
  await Promise.all(handles.splice(0).map((h) => h.close()));
});

const setup = async () => {
  const broker = createMemoryBroker();
  handles.push(await registerHandlers({ service: 'demo-node', transport: memoryTransport(broker), log: pino({ level: 'silent' }) }, handlers));
  const gateway = memoryTransport(broker);
  const answers = new Map<string, Response[]>();
  await gateway.consumeReplies(
    's',
    (r, settle) => {
      settle();
      answers.set(r.id, [...(answers.get(r.id) ?? []), r]);
    },
    { prefetch: 100 },
  );
  const call = async (id: string, type: string, payload: unknown) => {
    await gateway.publishRequest({ id, type, payload, session: 's' });
    for (let i = 0; i < 200 && !(answers.get(id) ?? []).some((r) => r.kind !== 'chunk'); i++) await new Promise((r) => setTimeout(r, 5));
    return answers.get(id) ?? [];
  };
  return { call };
};

describe('demo handlers', () => {
  it('stream testRequest chunks with the contract defaults filled in', async () => {
    const { call } = await setup();
    const list = await call('a', 'testRequest', { count: 2, delayMs: 0, tag: 't' });
    expect(list.map((r) => r.kind)).toEqual(['chunk', 'chunk', 'result']);
    expect(list[0]).toMatchObject({ data: { seq: 0, text: 'chunk 1 of 2', tag: 't' } });
    expect(list[2]).toMatchObject({ data: { count: 2, attempt: 1 } });
  });

  it('pad each chunk with padBytes of filler (load tests)', async () => {
    const { call } = await setup();
    const list = await call('p', 'testRequest', { count: 1, delayMs: 0, padBytes: 10 });
    expect(list[0]).toMatchObject({ data: { seq: 0, pad: 'xxxxxxxxxx' } });
  });

  it('refuse {"count":"three"} with INVALID_PAYLOAD naming count', async () => {
    const { call } = await setup();
    const [answer] = await call('b', 'testRequest', { count: 'three' });
    expect(answer).toMatchObject({ kind: 'error', error: { code: 'INVALID_PAYLOAD', details: { issues: [{ path: 'count' }] } } });
  });
});
