// Prometheus metrics of one gateway (prom-client), served at GET /metrics.
// Each gateway has its own registry (several gateways can share a process,
// as in tests); process metrics (CPU, memory, event loop) are collected once
// per process. Request types are client-chosen, so the `type` label is
// bounded: only types this gateway accepted get their own value.
import { collectDefaultMetrics, Counter, Gauge, Registry, type Metric } from 'prom-client';
import { createHistogramTally, createTally } from '@warren/protocol';
import type { Transport } from '@warren/transport';

export interface GatewayMetrics {
  /** The Prometheus registry holding these metrics. */
  readonly prometheus: Registry;
  /** A request or connection refused; `reason` is the error code. */
  rejected(reason: string, type?: string): void;
  /** A request accepted here reached its end: final response relayed (outcome 'ok' or the error code). */
  finished(type: string | undefined, outcome: string, seconds?: number): void;
  accepted(type: string): void;
  chunk(type: string | undefined): void;
  /** Ready messages in the type's request queue, as the last poll saw them (queue-positions.ts). */
  queueDepth(type: string, ready: number): void;
  /** From acceptance to the first response of attempt 1: the time a request waited for a worker (and its first answer). */
  queueWait(type: string, seconds: number): void;
  /** Text exposition of this gateway's and the process's metrics. */
  render(): Promise<string>;
  readonly contentType: string;
}

interface MetricsSources {
  transport: Transport;
  connectedSockets(): number;
  inFlight(): number;
  /** Distinct values the `type` label may take before the rest become 'other'. @default 200 */
  maxTypeLabels?: number;
}

let processRegistry: Registry | null | undefined;
const processMetrics = (): Registry | null => {
  if (processRegistry !== undefined) return processRegistry;
  try {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  } catch {
    processRegistry = null; // a runtime without perf_hooks monitors: gateway metrics only
  }
  return processRegistry;
};

export const createGatewayMetrics = (sources: MetricsSources): GatewayMetrics => {
  const registry = new Registry();
  const known = new Set<string>();
  const maxTypes = sources.maxTypeLabels ?? 200;
  const typeLabel = (type: string | undefined) => (type !== undefined && known.has(type) ? type : 'other');
  /** For types of accepted requests only: those earn a label value of their own. */
  const learn = (type: string | undefined) => {
    if (type !== undefined && !known.has(type) && known.size < maxTypes) known.add(type);
    return typeLabel(type);
  };

  // Counted in plain Maps and handed to prom-client when it collects (createTally: its inc() costs on every request).
  const requestCounts = createTally();
  const requests = new Counter({
    name: 'warren_gateway_requests_total',
    help: 'Requests by type and outcome: ok, or the error code (rejections included).',
    labelNames: ['type', 'outcome'] as const,
    registers: [registry],
    collect() {
      requestCounts.drain((type, outcome, n) => requests.inc({ type, outcome }, n));
    },
  });
  // Histograms too (createHistogramTally: prom-client's observe() hashes the label set on every call).
  const duration = createHistogramTally({
    name: 'warren_gateway_request_duration_seconds',
    help: 'From acceptance to the final response relayed to the client.',
    labelNames: ['type', 'outcome'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  });
  registry.registerMetric(duration.metric as unknown as Metric);
  const acceptedCounts = createTally();
  const accepted = new Counter({
    name: 'warren_gateway_requests_accepted_total',
    help: 'Requests accepted (published to the broker or handled locally), by type.',
    labelNames: ['type'] as const,
    registers: [registry],
    collect() {
      acceptedCounts.drain((type, _, n) => accepted.inc({ type }, n));
    },
  });
  const chunkCounts = createTally();
  const chunks = new Counter({
    name: 'warren_gateway_chunks_total',
    help: 'Chunks relayed to clients, by type.',
    labelNames: ['type'] as const,
    registers: [registry],
    collect() {
      chunkCounts.drain((type, _, n) => chunks.inc({ type }, n));
    },
  });
  const rejected = new Counter({
    name: 'warren_gateway_rejected_total',
    help: 'Requests and connections refused, by reason (error code).',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const depth = new Gauge({
    name: 'warren_queue_depth',
    help: 'Requests waiting in a type queue (ready messages), refreshed while callers of this gateway wait on it.',
    labelNames: ['type'] as const,
    registers: [registry],
  });
  const wait = createHistogramTally({
    name: 'warren_queue_wait_seconds',
    help: 'From acceptance to the first response of attempt 1, by type: time spent queued plus the first answer.',
    labelNames: ['type'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  });
  registry.registerMetric(wait.metric as unknown as Metric);
  new Gauge({
    name: 'warren_gateway_requests_in_flight',
    help: 'Requests accepted by this gateway and not yet answered.',
    registers: [registry],
    collect() {
      this.set(sources.inFlight());
    },
  });
  new Gauge({
    name: 'warren_gateway_connected_sockets',
    help: 'Sockets connected to this gateway.',
    registers: [registry],
    collect() {
      this.set(sources.connectedSockets());
    },
  });
  new Gauge({
    name: 'warren_gateway_broker_connected',
    help: '1 when the broker connection is up, else 0.',
    registers: [registry],
    collect() {
      this.set(sources.transport.status() === 'connected' ? 1 : 0);
    },
  });
  let reported = 0;
  const reconnects = new Counter({
    name: 'warren_gateway_broker_reconnects_total',
    help: 'Broker reconnects since start.',
    registers: [registry],
    collect() {
      const t = sources.transport as Transport & { reconnects?: () => number };
      const now = typeof t.reconnects === 'function' ? t.reconnects() : 0;
      if (now > reported) reconnects.inc(now - reported);
      reported = now;
    },
  });

  return {
    prometheus: registry,
    contentType: registry.contentType,
    rejected(reason, type) {
      rejected.inc({ reason });
      requestCounts.add(typeLabel(type), reason);
    },
    accepted(type) {
      acceptedCounts.add(learn(type));
    },
    finished(type, outcome, seconds) {
      const label = learn(type);
      requestCounts.add(label, outcome);
      if (seconds !== undefined) duration.observe(seconds, label, outcome);
    },
    chunk(type) {
      chunkCounts.add(learn(type));
    },
    queueDepth(type, ready) {
      // Polled types are accepted ones or the registry's (announced by workers): both may have a label.
      depth.set({ type: learn(type) }, ready);
    },
    queueWait(type, seconds) {
      wait.observe(seconds, learn(type));
    },
    async render() {
      const own = await registry.metrics();
      const proc = processMetrics();
      return proc ? `${own}\n${await proc.metrics()}` : own;
    },
  };
};
