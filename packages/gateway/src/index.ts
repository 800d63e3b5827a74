export { createGateway, type CreateGatewayOptions, type Gateway } from './gateway.ts';
export {
  DEFAULTS as GATEWAY_DEFAULTS,
  GATEWAY_ENV,
  gatewayOptionsFromEnv,
  gatewayOptionsSchema,
  parseGatewayOptions,
  type GatewayOptionsInput,
} from './options.ts';
export { createSessions, type Sessions } from './session-tokens.ts';
export type { GatewayMetrics } from './metrics.ts';
export { isValidTraceparent, newTraceparent, traceparentFor } from './trace.ts';
export { renderConfigReference } from './config-reference.ts';
// Plugin API and the built-in plugins (docs/plugins.md).
export type {
  ConnectionContext,
  GatewayPlugin,
  HandshakeInfo,
  LocalHandler,
  LocalHandlerContext,
  Next,
  Principal,
  RequestContext,
  ResponseContext,
} from './plugins/types.ts';
export { authenticate, tokenOf, type AuthenticateOptions, type Identity, type TokenVerifier } from './plugins/authenticate.ts';
export { jwtVerifier, type JwtVerifierOptions } from './plugins/jwt-verifier.ts';
export { authorize, type AuthorizeOptions, type AuthorizeRule } from './plugins/authorize.ts';
export { rateLimit, type RateLimitOptions } from './plugins/rate-limit.ts';
export { inFlightLimit, type InFlightLimitOptions } from './plugins/in-flight-limit.ts';
export { payloadLimit, type PayloadLimitOptions } from './plugins/payload-limit.ts';
export { connectionLimit, type ConnectionLimitOptions } from './plugins/connection-limit.ts';
export { originCheck, type OriginCheckOptions } from './plugins/origin-check.ts';
export { localHandlers } from './plugins/local-handlers.ts';
export { refuse } from './plugins/errors.ts';
// Service registry (packages/protocol/spec/v1/protocol.md#service-registry): the catalogue behind GET /registry and payload validation.
export { createGatewayRegistry, validatePayload, type GatewayRegistry, type RegistryOptions } from './registry/index.ts';
