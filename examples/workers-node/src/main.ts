// Runs the demo Node workers against the broker named by AMQP_URL.
import { registerHandlers, workerOptionsFromEnv } from '@warren/worker';
import { handlers } from './handlers.ts';

registerHandlers({ service: 'demo-node', handleSignals: true, ...workerOptionsFromEnv() }, handlers).catch((error: unknown) => {
  console.error(`demo-node worker failed to start: ${(error as Error).message}`);
  process.exit(1);
});
