// `warren-gateway`: run a gateway from environment variables.
import { createGateway } from './gateway.ts';
import { gatewayOptionsFromEnv } from './options.ts';

const main = async () => {
  const gateway = await createGateway(gatewayOptionsFromEnv());
  const stop = (signal: string) => {
    console.error(`${signal}: closing gateway`);
    void gateway.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
};

main().catch((error: unknown) => {
  console.error((error as Error).message);
  process.exit(1);
});
