// Environment variables → gateway options, for `warren-gateway` (main.ts)
// and the configuration reference: the variable names, and how each value
// is read (number, comma-separated list, boolean); the schema then checks it.
import type { GatewayOptionsInput } from './options.ts';

type EnvKind = 'string' | 'number' | 'list' | 'boolean';
/** Environment variable → option, for `warren-gateway` and the configuration reference. */
export const GATEWAY_ENV: Record<string, [keyof GatewayOptionsInput, EnvKind]> = {
  PORT: ['port', 'number'],
  HOST: ['host', 'string'],
  AMQP_URL: ['url', 'string'],
  WARREN_NAMESPACE: ['namespace', 'string'],
  DEFAULT_TIMEOUT_MS: ['defaultTimeoutMs', 'number'],
  MAX_TIMEOUT_MS: ['maxTimeoutMs', 'number'],
  MAX_FRAME_BYTES: ['maxFrameBytes', 'number'],
  MAX_PAYLOAD_BYTES: ['maxPayloadBytes', 'number'],
  ACK_TIMEOUT_MS: ['ackTimeoutMs', 'number'],
  ACK_HOLD_MS: ['ackHoldMs', 'number'],
  FAST_ACK_HOLD_MS: ['fastAckHoldMs', 'number'],
  CALL_RETENTION_MS: ['callRetentionMs', 'number'],
  QUEUE_POSITION_INTERVAL_MS: ['queuePositionIntervalMs', 'number'],
  PING_INTERVAL_MS: ['pingIntervalMs', 'number'],
  PING_TIMEOUT_MS: ['pingTimeoutMs', 'number'],
  SESSION_SECRET: ['sessionSecret', 'string'],
  SESSION_TOKEN_TTL_MS: ['sessionTokenTtlMs', 'number'],
  STATIC_DIR: ['staticDir', 'string'],
  CORS_ORIGINS: ['corsOrigins', 'list'],
  ALLOWED_ORIGINS: ['allowedOrigins', 'list'],
  TRUST_PROXY: ['trustProxy', 'boolean'],
  JWT_SECRET: ['jwtSecret', 'string'],
  JWT_PUBLIC_KEY: ['jwtPublicKey', 'string'],
  JWT_ALGORITHMS: ['jwtAlgorithms', 'list'],
  JWT_ISSUER: ['jwtIssuer', 'string'],
  JWT_AUDIENCE: ['jwtAudience', 'string'],
  JWT_CLOCK_TOLERANCE_SEC: ['jwtClockToleranceSec', 'number'],
  ALLOW_ANONYMOUS: ['allowAnonymous', 'boolean'],
  RATE_LIMIT_PER_SECOND: ['rateLimitPerSecond', 'number'],
  RATE_LIMIT_BURST: ['rateLimitBurst', 'number'],
  MAX_IN_FLIGHT_PER_CONNECTION: ['maxInFlightPerConnection', 'number'],
  MAX_CONNECTIONS_PER_PRINCIPAL: ['maxConnectionsPerPrincipal', 'number'],
  MAX_CONNECTIONS_PER_IP: ['maxConnectionsPerIp', 'number'],
  REGISTRY_ROLES: ['registryRoles', 'list'],
  METRICS_PORT: ['metricsPort', 'number'],
  METRICS_TOKEN: ['metricsToken', 'string'],
  CLIENT_LOG_PER_SECOND: ['clientLogPerSecond', 'number'],
  CLIENT_LOG_BURST: ['clientLogBurst', 'number'],
  CONNECT_TIMEOUT_MS: ['connectTimeoutMs', 'number'],
  BROKER_WAIT_MS: ['brokerWaitMs', 'number'],
  REPLY_QUEUE_TYPE: ['replyQueueType', 'string'],
  LOG_LEVEL: ['logLevel', 'string'],
  OPS_ROLE: ['opsRole', 'string'],
  OPS_ALLOW_ANONYMOUS: ['opsAllowAnonymous', 'boolean'],
  OPS_DEAD_LETTERS: ['opsDeadLetters', 'number'],
};

const BOOLEAN: Record<string, boolean> = { true: true, '1': true, yes: true, false: false, '0': false, no: false };

export const gatewayOptionsFromEnv = (env: Record<string, string | undefined> = process.env): Partial<GatewayOptionsInput> => {
  const out: Record<string, unknown> = {};
  for (const [name, [key, kind]] of Object.entries(GATEWAY_ENV)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    if (kind === 'number') out[key] = Number(raw);
    else if (kind === 'list')
      out[key] = raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    // An unknown spelling stays a string, so the schema names the field.
    else if (kind === 'boolean') out[key] = BOOLEAN[raw.trim().toLowerCase()] ?? raw;
    else out[key] = raw;
  }
  return out as Partial<GatewayOptionsInput>;
};
