// Every default of the gateway options in one constant (STYLE: defaults in
// one place), apart so the option files that use them import no schema.
import { ACK_HOLD_MS, CALL_RETENTION, DEFAULT_AMQP_URL, DEFAULT_NAMESPACE, FAST_ACK_HOLD_MS, REPLY_QUEUE_EXPIRES_MS } from '@warren/protocol';

export const DEFAULTS = {
  port: 3000,
  host: '0.0.0.0',
  url: DEFAULT_AMQP_URL,
  namespace: DEFAULT_NAMESPACE,
  defaultTimeoutMs: 60_000,
  maxTimeoutMs: 60 * 60_000,
  maxFrameBytes: 2 * 1024 * 1024,
  maxPayloadBytes: 1024 * 1024,
  replyPrefetch: 256,
  ackTimeoutMs: 60_000,
  ackHoldMs: ACK_HOLD_MS,
  fastAckHoldMs: FAST_ACK_HOLD_MS,
  callRetentionMs: CALL_RETENTION.retentionMs,
  queuePositionIntervalMs: 1_000,
  connectTimeoutMs: 10_000,
  pingIntervalMs: 5_000,
  pingTimeoutMs: 4_000,
  brokerWaitMs: 5_000,
  replyQueueType: 'quorum',
  logLevel: 'info',
  rateLimitPerSecond: 200,
  rateLimitBurst: 400,
  maxInFlightPerConnection: 1024,
  maxConnectionsPerPrincipal: 0,
  maxConnectionsPerIp: 64,
  jwtClockToleranceSec: 5,
  clientLogPerSecond: 20,
  clientLogBurst: 100,
  // A token never outlives the reply queue of a session nobody uses.
  sessionTokenTtlMs: REPLY_QUEUE_EXPIRES_MS,
} as const;
