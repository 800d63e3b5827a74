// Tells callers about requests RabbitMQ gave up on: a poison request that
// exhausted its deliveries, or one whose deadline passed in the queue.
import type { Logger } from 'pino';
import type { WireError } from '@warren/protocol';
import type { DeadLetter, GatewayTransport, Subscription, WorkerTransport } from '@warren/transport';

const deadLetterError = (dead: DeadLetter): WireError => {
  if (dead.reason === 'delivery_limit') {
    return {
      code: 'DELIVERY_LIMIT',
      message: `The request was delivered to workers ${dead.deliveries} times and never answered (each worker stopped mid-way), so it was not retried again.`,
    };
  }
  if (dead.reason === 'expired') {
    return { code: 'TIMEOUT', message: 'The deadline passed before a worker could start the request.' };
  }
  return { code: 'WORKER_ERROR', message: `The broker dropped the request (${dead.reason}).` };
};

// It reads dead letters as a gateway and answers them as a worker would.
export const relayDeadLetters = (transport: GatewayTransport & WorkerTransport, log: Logger): Promise<Subscription> =>
  transport.consumeDeadLetters((dead, settle) => {
    const error = deadLetterError(dead);
    log[dead.reason === 'expired' ? 'info' : 'warn'](
      { requestId: dead.id, type: dead.type, sessionId: dead.session, reason: dead.reason, deliveries: dead.deliveries },
      'request dead-lettered; telling its caller',
    );
    // A higher attempt than any worker used, so the client takes it as final.
    transport.publishResponse(dead.session, { kind: 'error', id: dead.id, seq: 0, attempt: dead.deliveries + 1, error }).then(
      (outcome) => {
        // No reply queue: the session expired, nobody is left to tell.
        if (outcome === 'unroutable') log.info({ requestId: dead.id, sessionId: dead.session }, 'dead letter dropped: its session is gone');
        settle();
      },
      (err: Error) => log.warn({ requestId: dead.id, err: err.message }, 'could not relay a dead letter; will retry'),
    );
  });
