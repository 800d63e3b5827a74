export * from './types.ts';
export { createMemoryBroker, memoryTransport, type MemoryBroker } from './memory.ts';
export { createAmqpTransport, type AmqpTransport, type AmqpTransportOptions } from './amqp/transport.ts';
export { redactUrl } from './amqp/connection.ts';
