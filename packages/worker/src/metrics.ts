// Prometheus metrics of one worker (prom-client): requests by type and
// outcome, latency, chunks, in-flight, broker reconnects. Always collected in
// `handle.metrics.prometheus`; with `metricsPort` also served at GET /metrics.
// Fed by each run's lifecycle (started, responses confirmed, ended), so the
// handler code and the transport stay untouched.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Registry, type Metric } from 'prom-client';
import { z } from 'zod';
import { createHistogramTally, createTally, parseOptions, type Response } from '@warren/protocol';
import type { RequestDelivery, Transport } from '@warren/transport';

const metricsOptionsSchema = z.object({
  /** Serve GET /metrics on this port (0 picks a free one); absent = not served. */
  metricsPort: z.number().int().min(0).max(65_535).optional(),
  /** Interface for the metrics port. @default '0.0.0.0' */
  metricsHost: z.string().min(1).default('0.0.0.0'),
});
export type MetricsOptionsInput = z.input<typeof metricsOptionsSchema>;

export interface WorkerMetrics {
  /** The Prometheus registry holding these metrics. */
  readonly prometheus: Registry;
  /** e.g. http://127.0.0.1:9464/metrics when `metricsPort` is set. */
  readonly url: string | undefined;
}

/** What one run tells the metrics as it goes: its lifecycle, not its transport. */
export interface RunObserver {
  /** Responses the broker confirmed (a batch counts response by response). */
  published(responses: readonly Response[]): void;
  /** The run is over (with 'undeliverable' when its answer reached nobody, 'requeued' when handed back). */
  end(runEnd?: 'undeliverable' | 'requeued'): void;
}

interface WorkerMetricsRecorder extends WorkerMetrics {
  /** Call when a delivery starts; tell the observer what the run publishes and when it ends. */
  started(delivery: RequestDelivery): RunObserver;
  close(): Promise<void>;
}

type MetricsOptions = z.output<typeof metricsOptionsSchema>;

/** Checked before anything connects, so a bad metricsPort fails the start-up at once. */
export const parseMetricsOptions = (input: MetricsOptionsInput): MetricsOptions => parseOptions('worker options', metricsOptionsSchema, input);

export const startWorkerMetrics = async (options: MetricsOptions, transport: Transport): Promise<WorkerMetricsRecorder> => {
  const parsed = { data: options };
  const registry = new Registry();
  // Counted in plain Maps and handed to prom-client when it collects (a
  // scrape): its inc()/dec() hash the label set on every call, four times per
  // request here (docs/decisions/0015, "The worker (third round)"; the
  // gateway does the same, packages/gateway/src/metrics.ts).
  const requestCounts = createTally();
  const requests = new Counter({
    name: 'warren_worker_requests_total',
    help: 'Requests by type and outcome: ok, the error code, requeued, or undeliverable (no queue took the answer).',
    labelNames: ['type', 'outcome'] as const,
    registers: [registry],
    collect() {
      requestCounts.drain((type, outcome, n) => requests.inc({ type, outcome }, n));
    },
  });
  // The histogram likewise (createHistogramTally: prom-client's observe() hashes the label set too).
  const duration = createHistogramTally({
    name: 'warren_worker_request_duration_seconds',
    help: 'From delivery to the final response confirmed.',
    labelNames: ['type', 'outcome'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  });
  registry.registerMetric(duration.metric as unknown as Metric);
  const chunkCounts = createTally();
  const chunks = new Counter({
    name: 'warren_worker_chunks_total',
    help: 'Chunks published, by type.',
    labelNames: ['type'] as const,
    registers: [registry],
    collect() {
      chunkCounts.drain((type, _, n) => chunks.inc({ type }, n));
    },
  });
  /** Requests running now, by type; a type once seen stays (at 0). */
  const running = new Map<string, number>();
  new Gauge({
    name: 'warren_worker_requests_in_flight',
    help: 'Requests being handled, by type.',
    labelNames: ['type'] as const,
    registers: [registry],
    collect() {
      for (const [type, n] of running) this.set({ type }, n);
    },
  });
  new Gauge({
    name: 'warren_worker_broker_connected',
    help: '1 when the broker connection is up, else 0.',
    registers: [registry],
    collect() {
      this.set(transport.status() === 'connected' ? 1 : 0);
    },
  });
  let reported = 0;
  const reconnects = new Counter({
    name: 'warren_worker_broker_reconnects_total',
    help: 'Broker reconnects since start.',
    registers: [registry],
    collect() {
      const t = transport as Transport & { reconnects?: () => number };
      const now = typeof t.reconnects === 'function' ? t.reconnects() : 0;
      if (now > reported) reconnects.inc(now - reported);
      reported = now;
    },
  });

  let server: Server | undefined;
  let url: string | undefined;
  if (parsed.data.metricsPort !== undefined) {
    server = createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
        () => res.writeHead(500).end(),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(parsed.data.metricsPort, parsed.data.metricsHost, () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const host = ['0.0.0.0', '::'].includes(parsed.data.metricsHost) ? '127.0.0.1' : parsed.data.metricsHost;
    url = `http://${host}:${port}/metrics`;
  }

  return {
    prometheus: registry,
    url,
    started(delivery) {
      const { type } = delivery.request;
      let outcome: string | undefined;
      running.set(type, (running.get(type) ?? 0) + 1);
      const startedAt = performance.now();
      return {
        published(responses) {
          for (const response of responses) {
            if (response.kind === 'chunk') chunkCounts.add(type);
            else outcome = response.kind === 'result' ? 'ok' : response.error.code;
          }
        },
        end(runEnd) {
          running.set(type, running.get(type)! - 1);
          const final = runEnd === 'undeliverable' ? runEnd : (outcome ?? 'requeued');
          requestCounts.add(type, final);
          duration.observe((performance.now() - startedAt) / 1000, type, final);
        },
      };
    },
    async close() {
      if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
    },
  };
};
