export * from './types.ts';
export { DATA_JSON, withDataJson, type OutgoingResponse } from './response-json.ts';
export { createMemoryBroker, memoryTransport, type MemoryBroker } from './memory.ts';
export { createAmqpTransport, type AmqpTransport, type AmqpTransportOptions } from './amqp/transport.ts';
export { redactUrl } from './amqp/connection.ts';
export { dataBytesOf } from './amqp/data-bytes.ts';
