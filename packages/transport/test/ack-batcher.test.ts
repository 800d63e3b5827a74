// The ack batcher must settle exactly what one-ack-per-message would, with
// `multiple` only over a fully acked prefix of the channel's deliveries.
import type { Channel, ConsumeMessage } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { createAckBatcher } from '../src/amqp/consumer.ts';

const message = (tag: number) => ({ fields: { deliveryTag: tag } }) as unknown as ConsumeMessage;
const tick = () => new Promise((resolve) => process.nextTick(resolve));

const fakeChannel = () => {
  const calls: string[] = [];
  const ch = {
    ack: (m: ConsumeMessage, multiple?: boolean) => calls.push(`ack ${m.fields.deliveryTag}${multiple ? ' multiple' : ''}`),
    nack: (m: ConsumeMessage) => calls.push(`nack ${m.fields.deliveryTag}`),
  } as unknown as Channel;
  return { ch, calls };
};

describe('ack batcher', () => {
  it('acks an in-order run with one multiple ack per tick', async () => {
    const { ch, calls } = fakeChannel();
    const acks = createAckBatcher(ch, () => {});
    const ms = [1, 2, 3].map(message);
    ms.forEach((m) => acks.delivered(m));
    ms.forEach((m) => acks.ack(m));
    expect(calls).toEqual([]);
    await tick();
    expect(calls).toEqual(['ack 3 multiple']);
  });

  it('never acks past an unsettled delivery: acks behind a gap go one by one', async () => {
    const { ch, calls } = fakeChannel();
    const acks = createAckBatcher(ch, () => {});
    const ms = [1, 2, 3, 4].map(message);
    ms.forEach((m) => acks.delivered(m));
    acks.ack(ms[0]!);
    acks.ack(ms[2]!);
    acks.ack(ms[3]!);
    await tick();
    expect(calls).toEqual(['ack 1', 'ack 3', 'ack 4']);
    acks.ack(ms[1]!);
    await tick();
    expect(calls.at(-1)).toBe('ack 2');
  });

  it('requeues at once and leaves the requeued delivery out of later multiple acks', async () => {
    const { ch, calls } = fakeChannel();
    const acks = createAckBatcher(ch, () => {});
    const ms = [1, 2, 3].map(message);
    ms.forEach((m) => acks.delivered(m));
    acks.requeue(ms[0]!);
    acks.ack(ms[1]!);
    acks.ack(ms[2]!);
    await tick();
    expect(calls).toEqual(['nack 1', 'ack 3 multiple']);
  });

  it('settles each delivery once and reports a channel that refuses', async () => {
    const errors: unknown[] = [];
    const ch = {
      ack: () => {
        throw new Error('channel closed');
      },
      nack: () => {},
    } as unknown as Channel;
    const acks = createAckBatcher(ch, (error) => errors.push(error));
    const m = message(7);
    acks.delivered(m);
    acks.ack(m);
    acks.ack(m);
    await tick();
    expect(errors).toHaveLength(1);
  });
});
