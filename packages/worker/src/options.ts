// Worker options: one schema, one DEFAULTS constant, validated at start-up
// with messages that name the field.
import { z } from 'zod';
import { brokerUrlsSchema, DEFAULT_AMQP_URL, DEFAULT_NAMESPACE, NAMESPACE_PATTERN, parseOptions, REGISTRY_DEFAULTS } from '@warren/protocol';

export const DEFAULTS = {
  url: DEFAULT_AMQP_URL,
  namespace: DEFAULT_NAMESPACE,
  concurrency: 8,
  drainTimeoutMs: 10_000,
  connectTimeoutMs: 10_000,
  /** Unconfirmed chunks one request may have before sendChunk waits. */
  chunkWindow: 256,
  registryHeartbeatMs: REGISTRY_DEFAULTS.heartbeatMs,
  registryTtlMs: REGISTRY_DEFAULTS.ttlMs,
} as const;

const workerOptionsSchema = z
  .object({
    /** Name of this service, shown in logs and (later) the registry. */
    service: z.string().min(1).max(100),
    /** AMQP URL; the nodes of a cluster as an array or comma-separated. Env: AMQP_URL. @default amqp://guest:guest@127.0.0.1:5672 */
    url: brokerUrlsSchema.default([DEFAULTS.url]),
    /** Prefix of every broker name. Env: WARREN_NAMESPACE. @default 'warren' */
    namespace: z.string().regex(NAMESPACE_PATTERN).default(DEFAULTS.namespace),
    /** Handlers of one request type running at once (= AMQP prefetch per type). Env: WORKER_CONCURRENCY. @default 8 */
    concurrency: z.number().int().min(1).max(10_000).default(DEFAULTS.concurrency),
    /** On close/SIGTERM, how long in-flight handlers may finish before they are handed back. Env: WORKER_DRAIN_TIMEOUT_MS. @default 10000 */
    drainTimeoutMs: z.number().int().nonnegative().default(DEFAULTS.drainTimeoutMs),
    /** How long to wait for the broker at start-up. @default 10000 */
    connectTimeoutMs: z.number().int().positive().default(DEFAULTS.connectTimeoutMs),
    /** @default 256 */
    chunkWindow: z.number().int().positive().default(DEFAULTS.chunkWindow),
    /** Install SIGTERM/SIGINT handlers that drain and exit. @default false */
    handleSignals: z.boolean().default(false),
    /** Announce on the registry (types, schemas) and heartbeat; off = invisible to GET /registry. @default true */
    announce: z.boolean().default(true),
    /** How often to announce. Env: WARREN_REGISTRY_HEARTBEAT_MS. @default 5000 */
    registryHeartbeatMs: z.number().int().min(100).max(3_600_000).default(DEFAULTS.registryHeartbeatMs),
    /** Gateways forget this instance this long after its last announcement (> heartbeat). Env: WARREN_REGISTRY_TTL_MS. @default 15000 */
    registryTtlMs: z.number().int().min(200).max(86_400_000).default(DEFAULTS.registryTtlMs),
    /**
     * Also serve these types on the fast lane (docs/protocol.md, "The fast
     * lane": at most once, no durability), for callers that ask `{ fast: true }`:
     * `true` for every type, or a list of types. Announced per type. @default false
     */
    fast: z.union([z.boolean(), z.array(z.string()).max(1000)]).default(false),
    /** This process in the registry. @default `${service}@${hostname}:${pid}:${random}` */
    instanceId: z.string().min(1).max(200).optional(),
  })
  .refine((o) => o.registryTtlMs > o.registryHeartbeatMs, {
    path: ['registryTtlMs'],
    message: 'must be longer than registryHeartbeatMs, or instances expire between heartbeats',
  });

export type WorkerOptionsInput = z.input<typeof workerOptionsSchema>;
type WorkerOptions = z.output<typeof workerOptionsSchema>;

export const workerOptionsFromEnv = (env: Record<string, string | undefined> = process.env): Partial<WorkerOptionsInput> => {
  const out: Partial<WorkerOptionsInput> = {};
  if (env.AMQP_URL) out.url = env.AMQP_URL;
  if (env.WARREN_NAMESPACE) out.namespace = env.WARREN_NAMESPACE;
  if (env.WORKER_CONCURRENCY) out.concurrency = Number(env.WORKER_CONCURRENCY);
  if (env.WORKER_DRAIN_TIMEOUT_MS) out.drainTimeoutMs = Number(env.WORKER_DRAIN_TIMEOUT_MS);
  if (env.WARREN_REGISTRY_HEARTBEAT_MS) out.registryHeartbeatMs = Number(env.WARREN_REGISTRY_HEARTBEAT_MS);
  if (env.WARREN_REGISTRY_TTL_MS) out.registryTtlMs = Number(env.WARREN_REGISTRY_TTL_MS);
  return out;
};

/**
 * What registerHandlers runs with: the environment (workerOptionsFromEnv)
 * under the options given, so a deployment's AMQP_URL or WARREN_NAMESPACE is
 * never silently ignored, and an explicit option still wins. An option passed
 * as `undefined` (`url: process.env.AMQP_URL` when unset) counts as not given.
 */
export const withEnvironment = <T extends object>(given: T, env: Record<string, string | undefined> = process.env): T =>
  ({ ...workerOptionsFromEnv(env), ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) }) as T;

export const parseWorkerOptions = (input: unknown): WorkerOptions => parseOptions('worker options', workerOptionsSchema, input);
