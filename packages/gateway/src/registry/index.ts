export { createGatewayRegistry, REGISTRY_SWEEP_MS, validatePayload, type GatewayRegistry, type RegistryOptions } from './registry.ts';
export { answerRegistryEvents, registryRoute } from './routes.ts';
