// The frame reader (packages/transport/src/amqp/frame-reader.ts) on a real
// broker connection: installed by the connection manager, and every message —
// empty, one frame, a frame and a byte, megabytes — arrives intact and in order.
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createConnectionManager } from '../../packages/transport/src/amqp/connection.ts';
import { AMQP_URL } from '../support/rabbit.ts';

const manager = createConnectionManager({
  urls: [AMQP_URL],
  log: pino({ level: 'silent' }),
  heartbeatSeconds: 10,
  backoff: { initialDelayMs: 100, maxDelayMs: 1000 },
  connectionName: 'frame-reader-test',
});

afterAll(() => manager.close());

describe('the frame reader on RabbitMQ', () => {
  it('is installed on the connection and receives every size intact', async () => {
    await manager.ready(10_000);
    const model = manager.current()!;
    expect(Object.hasOwn((model as unknown as { connection: object }).connection, 'recvFrame')).toBe(true);
    const ch = await model.createChannel();
    const { queue } = await ch.assertQueue('', { exclusive: true });
    const sizes = [0, 1, 100, 131064, 131065, 1_048_576 + 333, 3_000_000, 7, 262_128];
    const sent = sizes.map((size, i) => {
      const body = Buffer.alloc(size);
      for (let b = 0; b < size; b += 101) body[b] = (i + b) & 0xff;
      return body;
    });
    const received: Buffer[] = [];
    const done = new Promise<void>((resolve) => {
      void ch.consume(
        queue,
        (message) => {
          received.push(message!.content);
          if (received.length === sent.length) resolve();
        },
        { noAck: true },
      );
    });
    for (const body of sent) ch.sendToQueue(queue, body);
    await done;
    expect(received.map((b) => b.length)).toEqual(sizes);
    expect(received.every((b, i) => b.equals(sent[i]!))).toBe(true);
    await ch.close();
  });
});
