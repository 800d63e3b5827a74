// The worker's start-up gate on the cancel stream: it reads its own marker
// back before consuming requests, and never waits longer than markerWaitMs.
import type { ConsumeMessage } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { CANCEL_STREAM, type CancelMessage } from '@warren/protocol';
import type { AckBatcher } from '../src/amqp/consumer.ts';
import { cancelRecord, cancelStreamReader } from '../src/amqp/cancel-stream.ts';
import type { Log } from '../src/types.ts';

let tag = 0;
const message = (body: Buffer | string, properties: Record<string, unknown>): ConsumeMessage =>
  ({ content: Buffer.from(body), properties, fields: { deliveryTag: ++tag } }) as unknown as ConsumeMessage;

const setup = (markerWaitMs = 1000) => {
  const acked: number[] = [];
  const acks: AckBatcher = { delivered() {}, ack: (m) => acked.push(m.fields.deliveryTag), requeue() {} };
  const warnings: string[] = [];
  const log: Log = { debug() {}, info() {}, error() {}, warn: (_o, msg) => warnings.push(String(msg)) };
  const appended: { body: Record<string, unknown>; properties: Record<string, unknown> }[] = [];
  const heard: [CancelMessage, number | undefined][] = [];
  const reader = cancelStreamReader(
    {
      acks,
      log,
      markerWaitMs,
      append: async (body, properties) => {
        appended.push({ body: JSON.parse(body.toString()), properties: properties as Record<string, unknown> });
      },
    },
    new Set(['a.job']),
    'worker-1',
    (cancel, at) => heard.push([cancel, at]),
  );
  return { reader, acked, warnings, appended, heard };
};

describe('cancel stream reader', () => {
  it('resolves once its own marker is read back, having handed over every served cancel before it', async () => {
    const { reader, acked, warnings, appended, heard } = setup();
    reader.onMessage(message(cancelRecord('a.job', { id: 'r-1', session: 's' }, 1234), { type: 'a.job' }));
    let done = false;
    const caughtUp = reader.caughtUp().then(() => (done = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(appended).toHaveLength(1);
    const { body, properties } = appended[0]!;
    expect(body).toEqual({ kind: 'marker', instance: 'worker-1', nonce: expect.any(String) });
    expect(properties).toEqual({ type: CANCEL_STREAM.markerType, messageId: body.nonce });
    // Another worker's marker does not open the gate.
    reader.onMessage(message('{}', { type: CANCEL_STREAM.markerType, messageId: 'someone-else' }));
    await new Promise((r) => setTimeout(r, 10));
    expect(done).toBe(false);
    reader.onMessage(message(JSON.stringify(body), { type: CANCEL_STREAM.markerType, messageId: body.nonce }));
    await caughtUp;
    expect(heard).toEqual([[{ id: 'r-1', session: 's' }, 1234]]);
    expect(acked).toHaveLength(3); // every record is acked: a stream consumer's credit
    expect(warnings).toEqual([]);
  });

  it('acks records of types it does not serve without reading them, and drops malformed ones', () => {
    const { reader, acked, heard, warnings } = setup();
    reader.onMessage(message('not JSON at all, and never parsed', { type: 'b.other' }));
    reader.onMessage(message('not JSON', { type: 'a.job' }));
    // A record without an AMQP type is read to find its type.
    reader.onMessage(message(cancelRecord('b.other', { id: 'r-2', session: 's' }, 1), {}));
    reader.onMessage(message(cancelRecord('a.job', { id: 'r-3', session: 's' }, 2), {}));
    expect(heard).toEqual([[{ id: 'r-3', session: 's' }, 2]]);
    expect(acked).toHaveLength(4);
    expect(warnings).toEqual(['dropping a malformed cancel record']);
  });

  it('starts anyway, with a warning, when the marker does not come back in time', async () => {
    const { reader, warnings } = setup(50);
    const started = Date.now();
    await reader.caughtUp();
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/marker did not come back/);
  });

  it('starts at once, with a warning, when the marker cannot be appended', async () => {
    const warnings: string[] = [];
    const reader = cancelStreamReader(
      {
        acks: { delivered() {}, ack() {}, requeue() {} },
        log: { debug() {}, info() {}, error() {}, warn: (_o, msg) => warnings.push(String(msg)) },
        append: async () => {
          throw new Error('ACCESS_REFUSED');
        },
      },
      new Set(['a.job']),
      'w',
      () => {},
    );
    await reader.caughtUp();
    expect(warnings[0]).toMatch(/could not append a marker/);
  });
});
