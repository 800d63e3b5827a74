// Settles one channel's deliveries, coalescing the acks of a tick: when the
// oldest unsettled deliveries are all acked, one basic.ack with `multiple`
// settles them all; an ack behind a still-unsettled delivery goes alone, so
// nothing is ever held back. Same outcome as one ack each, fewer frames for
// RabbitMQ to process.
import type { Channel, ConsumeMessage } from 'amqplib';

export interface AckBatcher {
  /** Every delivery, in order, as it arrives. */
  delivered(message: ConsumeMessage): void;
  ack(message: ConsumeMessage): void;
  requeue(message: ConsumeMessage): void;
}

export const createAckBatcher = (ch: Channel, onError: (error: unknown) => void): AckBatcher => {
  // Delivered and not yet settled, by delivery tag; Map order = delivery order.
  const outstanding = new Map<number, ConsumeMessage>();
  const acked = new Set<number>();
  let scheduled = false;

  const guard = (settle: () => void) => {
    try {
      settle();
    } catch (error) {
      onError(error);
    }
  };
  const flush = () => {
    scheduled = false;
    let last: ConsumeMessage | undefined;
    let count = 0;
    for (const [tag, message] of outstanding) {
      if (!acked.has(tag)) break;
      last = message;
      count += 1;
    }
    if (last !== undefined) {
      const upTo = last;
      guard(() => (count === 1 ? ch.ack(upTo) : ch.ack(upTo, true)));
      for (const [tag] of outstanding) {
        outstanding.delete(tag);
        acked.delete(tag);
        if (tag === upTo.fields.deliveryTag) break;
      }
    }
    // Acked behind a gap: settled now, one by one.
    for (const tag of acked) {
      const message = outstanding.get(tag);
      outstanding.delete(tag);
      if (message) guard(() => ch.ack(message));
    }
    acked.clear();
  };

  return {
    delivered(message) {
      outstanding.set(message.fields.deliveryTag, message);
    },
    ack(message) {
      const tag = message.fields.deliveryTag;
      if (!outstanding.has(tag)) return;
      acked.add(tag);
      if (!scheduled) {
        scheduled = true;
        process.nextTick(flush);
      }
    },
    requeue(message) {
      const tag = message.fields.deliveryTag;
      if (!outstanding.delete(tag)) return;
      acked.delete(tag);
      guard(() => ch.nack(message, false, true));
    },
  };
};
