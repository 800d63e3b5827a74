// Gateway options: one schema with units in the names and defaults in one
// place, validated at start-up; environment variables map onto them.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { NAMESPACE_PATTERN, formatIssues, MAX_TIMEOUT_MS } from '@warren/protocol';

export const DEFAULTS = {
  port: 3000,
  host: '0.0.0.0',
  url: 'amqp://guest:guest@127.0.0.1:5672',
  namespace: 'warren',
  defaultTimeoutMs: 60_000,
  maxTimeoutMs: 60 * 60_000,
  maxFrameBytes: 2 * 1024 * 1024,
  replyPrefetch: 256,
  ackTimeoutMs: 60_000,
  connectTimeoutMs: 10_000,
  logLevel: 'info',
} as const;

export const gatewayOptionsSchema = z.object({
  /** TCP port; 0 picks a free one. Env: PORT. @default 3000 */
  port: z.number().int().min(0).max(65_535).default(DEFAULTS.port),
  /** Interface to bind. Env: HOST. @default '0.0.0.0' */
  host: z.string().min(1).default(DEFAULTS.host),
  /** AMQP URL of RabbitMQ. Env: AMQP_URL. @default amqp://guest:guest@127.0.0.1:5672 */
  url: z.string().url().default(DEFAULTS.url),
  /** Prefix of every broker name. Env: WARREN_NAMESPACE. @default 'warren' */
  namespace: z.string().regex(NAMESPACE_PATTERN, 'lower-case letters, digits, _ and -, starting with a letter').default(DEFAULTS.namespace),
  /** Deadline for requests that name none. @default 60000 */
  defaultTimeoutMs: z.number().int().positive().max(MAX_TIMEOUT_MS).default(DEFAULTS.defaultTimeoutMs),
  /** Longest deadline a client may ask for. Env: MAX_TIMEOUT_MS. @default 3600000 */
  maxTimeoutMs: z.number().int().positive().max(MAX_TIMEOUT_MS).default(DEFAULTS.maxTimeoutMs),
  /** Largest Socket.IO frame accepted, in bytes. Env: MAX_FRAME_BYTES. @default 2097152 */
  maxFrameBytes: z.number().int().positive().default(DEFAULTS.maxFrameBytes),
  /** Responses relayed to one socket but not yet acked by it, at most (backpressure). @default 256 */
  replyPrefetch: z.number().int().positive().max(65_535).default(DEFAULTS.replyPrefetch),
  /** A socket whose oldest relayed response stays unacked this long is disconnected (it resumes later). @default 60000 */
  ackTimeoutMs: z.number().int().positive().default(DEFAULTS.ackTimeoutMs),
  /** Secret that signs session tokens; every gateway of one app must share it. Env: SESSION_SECRET. @default random per process */
  sessionSecret: z.string().min(16, 'use at least 16 characters').optional(),
  /** Directory of static files to serve (the web app). Env: STATIC_DIR. */
  staticDir: z.string().optional(),
  /** Origins allowed to connect cross-origin (e.g. the Vite dev server). Env: CORS_ORIGINS (comma-separated). */
  corsOrigins: z.array(z.string()).default([]),
  /** How long to wait for the broker at start-up. @default 10000 */
  connectTimeoutMs: z.number().int().positive().default(DEFAULTS.connectTimeoutMs),
  /** pino level. Env: LOG_LEVEL. @default 'info' */
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default(DEFAULTS.logLevel),
});

export type GatewayOptionsInput = z.input<typeof gatewayOptionsSchema>;
export type GatewayOptions = z.output<typeof gatewayOptionsSchema> & { sessionSecret: string };

const ENV: Record<string, [keyof GatewayOptionsInput, 'string' | 'number' | 'list']> = {
  PORT: ['port', 'number'],
  HOST: ['host', 'string'],
  AMQP_URL: ['url', 'string'],
  WARREN_NAMESPACE: ['namespace', 'string'],
  MAX_TIMEOUT_MS: ['maxTimeoutMs', 'number'],
  MAX_FRAME_BYTES: ['maxFrameBytes', 'number'],
  ACK_TIMEOUT_MS: ['ackTimeoutMs', 'number'],
  SESSION_SECRET: ['sessionSecret', 'string'],
  STATIC_DIR: ['staticDir', 'string'],
  CORS_ORIGINS: ['corsOrigins', 'list'],
  LOG_LEVEL: ['logLevel', 'string'],
};

export const gatewayOptionsFromEnv = (env: Record<string, string | undefined> = process.env): Partial<GatewayOptionsInput> => {
  const out: Record<string, unknown> = {};
  for (const [name, [key, kind]] of Object.entries(ENV)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    out[key] = kind === 'number' ? Number(raw) : kind === 'list' ? raw.split(',').map((s) => s.trim()).filter(Boolean) : raw;
  }
  return out as Partial<GatewayOptionsInput>;
};

export const parseGatewayOptions = (input: unknown): GatewayOptions => {
  const result = gatewayOptionsSchema.safeParse(input);
  if (!result.success) {
    const lines = formatIssues(result.error.issues).map((i) => `  - ${i.path}: ${i.message}`);
    throw new Error(`Invalid gateway options:\n${lines.join('\n')}`);
  }
  return { ...result.data, sessionSecret: result.data.sessionSecret ?? randomBytes(32).toString('base64url') };
};
