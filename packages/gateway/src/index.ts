export { createGateway, type CreateGatewayOptions, type Gateway } from './gateway.ts';
export { DEFAULTS as GATEWAY_DEFAULTS, gatewayOptionsFromEnv, gatewayOptionsSchema, parseGatewayOptions, type GatewayOptionsInput } from './options.ts';
export { createSessions, type Sessions } from './session.ts';
