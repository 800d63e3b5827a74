// Gateway options: one schema with units in the names, validated at
// start-up. Each field's description is the configuration reference in
// docs/deploy.md (rendered by config-reference.ts; a unit test fails when it
// is stale). The defaults (options-defaults.ts), the authentication fields
// with their rules (options-auth.ts) and the environment variables
// (options-env.ts) have files of their own; this one re-exports them, so
// every import of the options stays `./options.ts`.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { brokerUrlsSchema, NAMESPACE_PATTERN, MAX_TIMEOUT_MS, parseOptions } from '@warren/protocol';
import { authenticationFields, checkAuthentication } from './options-auth.ts';
import { DEFAULTS } from './options-defaults.ts';

export { DEFAULTS } from './options-defaults.ts';
export { GATEWAY_ENV, gatewayOptionsFromEnv } from './options-env.ts';

export const gatewayOptionsSchema = z
  .object({
    port: z.number().int().min(0).max(65_535).default(DEFAULTS.port).describe('TCP port; 0 picks a free one.'),
    host: z.string().min(1).default(DEFAULTS.host).describe('Interface to bind.'),
    url: brokerUrlsSchema
      .default([DEFAULTS.url])
      .describe(
        "AMQP URL of RabbitMQ (use the gateway's own least-privilege user); the nodes of a cluster comma-separated: connections start at a random node and move on when one is down.",
      ),
    replyQueueType: z
      .enum(['quorum', 'classic'])
      .default(DEFAULTS.replyQueueType)
      .describe(
        'Session reply queues: `quorum` survives the loss of a cluster node; `classic` lives on one node and costs less (about 1.5× the throughput at 64 concurrent calls on one node, docs/performance.md) — for a single-node broker only. Every gateway of an app must agree.',
      ),
    brokerWaitMs: z
      .number()
      .int()
      .min(0)
      .max(60_000)
      .default(DEFAULTS.brokerWaitMs)
      .describe('A request that arrives while the broker connection is being re-made waits this long for it, in ms, before BROKER_UNAVAILABLE.'),
    namespace: z
      .string()
      .regex(NAMESPACE_PATTERN, 'lower-case letters, digits, _ and -, starting with a letter')
      .default(DEFAULTS.namespace)
      .describe('Prefix of every broker name; gateways and workers of one app share it.'),
    defaultTimeoutMs: z
      .number()
      .int()
      .positive()
      .max(MAX_TIMEOUT_MS)
      .default(DEFAULTS.defaultTimeoutMs)
      .describe('Deadline of requests that name none, in ms.'),
    maxTimeoutMs: z.number().int().positive().max(MAX_TIMEOUT_MS).default(DEFAULTS.maxTimeoutMs).describe('Longest deadline a client may ask for, in ms.'),
    maxFrameBytes: z
      .number()
      .int()
      .positive()
      .default(DEFAULTS.maxFrameBytes)
      .describe('Largest Socket.IO frame, in bytes; a bigger one drops the connection (Socket.IO maxHttpBufferSize).'),
    maxPayloadBytes: z
      .number()
      .int()
      .positive()
      .default(DEFAULTS.maxPayloadBytes)
      .describe('Largest request payload (as JSON), in bytes; a bigger one is refused with PAYLOAD_TOO_LARGE. Below maxFrameBytes.'),
    replyPrefetch: z
      .number()
      .int()
      .positive()
      .max(65_535)
      .default(DEFAULTS.replyPrefetch)
      .describe('Responses relayed to one socket but not yet acked by it, at most (backpressure).'),
    ackTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(DEFAULTS.ackTimeoutMs)
      .describe('A socket whose oldest relayed response stays unacked this long, in ms, is disconnected (it resumes later).'),
    ackHoldMs: z
      .number()
      .int()
      .min(0)
      .max(5_000)
      .default(DEFAULTS.ackHoldMs)
      .describe(
        "How long a durable request's ack waits, in ms, after the broker confirm, for the call's first response so the answer rides in it (capability `cumulative-acks`); also a fast request's in a `requests` frame, whose other requests' acks wait for it. An answer later than this costs a plain ack and a `response` frame. Longer saves those frames for slower workers, but every call slower than it gets its ack that much later, and a durable request whose socket drops before its ack is re-sent on reconnect; 0 sends the ack as soon as it can.",
      ),
    fastAckHoldMs: z
      .number()
      .int()
      .min(0)
      .max(5_000)
      .default(DEFAULTS.fastAckHoldMs)
      .describe(
        "How long a fast request's ack waits, in ms, for the call's first response so the answer rides in it (capability `fast-answers`). An answer later than this costs a plain ack and a `response` frame. Every fast call slower than it gets its ack that much later, and one whose socket drops before its ack fails at once with DISCONNECTED (it may have run) instead of waiting for its deadline. 0 sends the ack as soon as it can.",
      ),
    callRetentionMs: z
      .number()
      .int()
      .min(1_000)
      .max(24 * 60 * 60_000)
      .default(DEFAULTS.callRetentionMs)
      .describe(
        "How long a retained call (a request sent with a `key`) is kept after its last reader left, in ms: re-attaching within it replays every response, after it answers EXPIRED. It is the call queue's x-expires, so every gateway of a namespace must agree (RabbitMQ refuses a redeclare with another value); quorum queues apply it on their periodic tick, up to about 5 s late.",
      ),
    queuePositionIntervalMs: z
      .number()
      .int()
      .min(100)
      .max(60_000)
      .default(DEFAULTS.queuePositionIntervalMs)
      .describe(
        'While a request accepted here waits for its first response, its type queue is polled this often, in ms (one passive declare per type), and the caller told its position (`queued` event) when it changes; the first time once it has waited 100 ms (most requests are answered sooner and are never polled for).',
      ),
    pingIntervalMs: z
      .number()
      .int()
      .min(1_000)
      .max(300_000)
      .default(DEFAULTS.pingIntervalMs)
      .describe(
        'Socket.IO heartbeat: the gateway pings every socket this often, in ms. A client that hears nothing for pingIntervalMs + pingTimeoutMs drops the connection and reconnects, so a frozen or unreachable gateway is noticed within that sum.',
      ),
    pingTimeoutMs: z
      .number()
      .int()
      .min(1_000)
      .max(300_000)
      .default(DEFAULTS.pingTimeoutMs)
      .describe('How long, in ms, the gateway waits for a pong before closing a socket; the client waits pingIntervalMs + pingTimeoutMs for a ping.'),
    sessionSecret: z
      .string()
      .min(16, 'use at least 16 characters')
      .optional()
      .describe(
        'Signs session tokens; every gateway of one app must share it, and a restarted gateway needs the same one for clients to resume. Default: random per process (`npm start` passes one kept in `.warren/session-secret`).',
      ),
    sessionTokenTtlMs: z
      .number()
      .int()
      .min(3000)
      .max(24 * 60 * 60_000)
      .default(DEFAULTS.sessionTokenTtlMs)
      .describe("Lifetime of a session token, in ms; refreshed every third of it while the socket is connected. Default: the reply queue's idle expiry."),
    staticDir: z.string().optional().describe('Directory of static files served at / (the web app), with an SPA fallback.'),
    corsOrigins: z
      .array(z.string())
      .default([])
      .describe('Origins allowed cross-origin for HTTP long-polling (e.g. the Vite dev server); comma-separated in the environment.'),
    allowedOrigins: z
      .array(z.string().regex(/^https?:\/\/[^/\s]+$/, 'an origin like https://app.example.com (no path)'))
      .default([])
      .describe(
        'When set, browsers from other origins are refused at the handshake: HTTP 400 at the WebSocket upgrade, 403 (readable by the refused page) on HTTP polling; the client then goes offline with FORBIDDEN instead of retrying. Same-origin pages and clients without an Origin header pass. Comma-separated.',
      ),
    trustProxy: z.boolean().default(false).describe('Take the client IP from the last X-Forwarded-For hop (set behind a load balancer).'),
    ...authenticationFields,
    rateLimitPerSecond: z
      .number()
      .min(0)
      .max(1_000_000)
      .default(DEFAULTS.rateLimitPerSecond)
      .describe('Requests per second per caller (principal `sub`, else per connection); 0 turns the limit off.'),
    rateLimitBurst: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(DEFAULTS.rateLimitBurst)
      .describe('Requests a caller may send at once before rateLimitPerSecond applies.'),
    maxInFlightPerConnection: z
      .number()
      .int()
      .min(0)
      .max(1_000_000)
      .default(DEFAULTS.maxInFlightPerConnection)
      .describe('Accepted but unanswered requests per connection; 0 = no limit.'),
    maxConnectionsPerPrincipal: z
      .number()
      .int()
      .min(0)
      .max(1_000_000)
      .default(DEFAULTS.maxConnectionsPerPrincipal)
      .describe('Open sockets per principal `sub`; 0 = no limit.'),
    maxConnectionsPerIp: z
      .number()
      .int()
      .min(0)
      .max(1_000_000)
      .default(DEFAULTS.maxConnectionsPerIp)
      .describe('Open sockets per client IP; 0 = no limit. Behind a load balancer set trustProxy, or every client counts as the balancer.'),
    registryRoles: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'With authentication on (and anonymous callers refused): GET /registry and the `registry` event need a principal with one of these roles; empty = any authenticated caller. Comma-separated.',
      ),
    metricsPort: z
      .number()
      .int()
      .min(0)
      .max(65_535)
      .optional()
      .describe('Serve GET /metrics on this port (on `host`) instead of the main one, e.g. for a scraper on a private network; 0 picks a free one.'),
    metricsToken: z.string().min(16, 'use at least 16 characters').optional().describe('When set, GET /metrics needs `Authorization: Bearer <metricsToken>`.'),
    clientLogPerSecond: z
      .number()
      .min(0)
      .max(100_000)
      .default(DEFAULTS.clientLogPerSecond)
      .describe(
        'Browser log entries (client-log) written per second per caller — principal `sub`, else client IP — across all its connections; 0 writes none. Each entry is cut to 2 KB.',
      ),
    clientLogBurst: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(DEFAULTS.clientLogBurst)
      .describe('Browser log entries a caller may send at once before clientLogPerSecond applies.'),
    connectTimeoutMs: z.number().int().positive().default(DEFAULTS.connectTimeoutMs).describe('How long to wait for the broker at start-up, in ms.'),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default(DEFAULTS.logLevel).describe('pino log level.'),
    opsRole: z
      .string()
      .min(1)
      .max(200)
      .default('warren-ops')
      .describe("Principals with this role (in `roles`) may use the operations console (`/ops/api/…`, the web app's Operations page)."),
    opsAllowAnonymous: z
      .boolean()
      .default(false)
      .describe(
        'Open the operations console to anyone who can reach the gateway, without a token. For a local demo only (`npm start` and `npm run dev` set it).',
      ),
    opsDeadLetters: z
      .number()
      .int()
      .min(0)
      .max(10_000)
      .default(100)
      .describe('Dead-lettered requests this gateway keeps in memory for inspection and replay; 0 keeps none.'),
  })
  .superRefine((o, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (o.maxPayloadBytes >= o.maxFrameBytes)
      issue(
        'maxPayloadBytes',
        `must be below maxFrameBytes (${o.maxFrameBytes}), or oversize payloads drop the connection instead of getting PAYLOAD_TOO_LARGE`,
      );
    checkAuthentication(o, issue);
  });

export type GatewayOptionsInput = z.input<typeof gatewayOptionsSchema>;
export type GatewayOptions = z.output<typeof gatewayOptionsSchema> & { sessionSecret: string };

export const parseGatewayOptions = (input: unknown): GatewayOptions => {
  const options = parseOptions('gateway options', gatewayOptionsSchema, input);
  return { ...options, sessionSecret: options.sessionSecret ?? randomBytes(32).toString('base64url') };
};
