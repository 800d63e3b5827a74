// Embedded fallback of `npm start`: gateway and the Node demo workers in one
// process on the in-process transport, for machines without RabbitMQ.
import { createGateway, gatewayOptionsFromEnv } from '@warren/gateway';
import { createMemoryBroker, memoryTransport } from '@warren/transport';
import { registerHandlers } from '@warren/worker';
import { handlers } from '@warren/example-workers-node';

const broker = createMemoryBroker();
const worker = await registerHandlers({ service: 'demo-node', transport: memoryTransport(broker) }, handlers);
const gateway = await createGateway({ ...gatewayOptionsFromEnv(), transport: memoryTransport(broker) });
const stop = async () => {
  await gateway.close();
  await worker.close();
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
