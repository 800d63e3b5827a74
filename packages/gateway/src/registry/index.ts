export { createGatewayRegistry, REGISTRY_SWEEP_MS, type GatewayRegistry, type RegistryOptions } from './registry.ts';
export { validatePayload } from './validate-payload.ts';
export { answerRegistryEvents, registryRoute } from './routes.ts';
