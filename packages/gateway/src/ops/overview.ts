// The operations console's one snapshot: in-flight calls with age and
// attempt, queues and consumers per type, worker instances, recent
// failures, dead letters and the gateway's own counters. The page polls it;
// rates and latencies are the differences between two snapshots.
import type { Catalogue } from '@warren/protocol';
import type { GatewayMetrics } from '../metrics.ts';
import { traceIdOf, type CallEntry, type CallHop, type CallLog } from './call-log.ts';
import type { DeadLetterStore, StoredDeadLetter } from './dead-letter-store.ts';
import type { QueueStats } from './queue-stats.ts';

export interface OverviewDeps {
  calls: CallLog;
  deadLetters: DeadLetterStore;
  queues: QueueStats | undefined;
  catalogue(): Catalogue;
  metrics: GatewayMetrics;
  broker(): string;
  namespace: string;
  now?: () => number;
}

export const callView = (e: CallEntry, now: number) => ({
  id: e.id,
  type: e.type,
  traceId: traceIdOf(e.traceparent) ?? null,
  traceparent: e.traceparent ?? null,
  principal: e.principal ?? null,
  ageMs: (e.finishedAt ?? now) - e.acceptedAt,
  attempt: e.attempt,
  outcome: e.outcome ?? null,
  error: e.error ?? null,
  acceptedAt: e.acceptedAt,
  finishedAt: e.finishedAt ?? null,
  hops: e.hops satisfies CallHop[], // named, so the published .d.ts can name it too
});

export const deadLetterView = (d: StoredDeadLetter, withRequest: boolean) => ({
  key: d.key,
  id: d.dead.id,
  type: d.dead.type,
  reason: d.dead.reason,
  deliveries: d.dead.deliveries,
  receivedAt: d.receivedAt,
  traceId: traceIdOf(d.dead.request?.traceparent) ?? null,
  replayable: d.dead.request !== undefined,
  replays: d.replays,
  ...(withRequest && d.dead.request
    ? {
        request: {
          payload: d.dead.request.payload,
          principal: d.dead.request.principal ?? null,
          deadline: d.dead.request.deadline ?? null,
          traceparent: d.dead.request.traceparent ?? null,
        },
      }
    : {}),
});

/** Counters summed over labels: what the page differences into rates. */
const totals = async (metrics: GatewayMetrics) => {
  const read = async (name: string) => (await metrics.prometheus.getSingleMetric(name)?.get())?.values ?? [];
  const sum = (values: Array<{ value: number }>) => values.reduce((n, v) => n + v.value, 0);
  const finished = (await read('warren_gateway_requests_total')) as Array<{ value: number; labels: Record<string, string | number> }>;
  const duration = (await read('warren_gateway_request_duration_seconds')) as Array<{ value: number; metricName?: string }>;
  return {
    accepted: sum(await read('warren_gateway_requests_accepted_total')),
    ok: sum(finished.filter((v) => v.labels.outcome === 'ok')),
    failed: sum(finished.filter((v) => v.labels.outcome !== 'ok')),
    chunks: sum(await read('warren_gateway_chunks_total')),
    latencySecondsSum: sum(duration.filter((v) => v.metricName?.endsWith('_sum'))),
    latencyCount: sum(duration.filter((v) => v.metricName?.endsWith('_count'))),
  };
};

export const buildOverview = async (deps: OverviewDeps, principal: string) => {
  const now = (deps.now ?? Date.now)();
  const catalogue = deps.catalogue();
  const inFlight = deps.calls.inFlight();
  const types = [
    ...new Set([...catalogue.types.map((t) => t.type), ...inFlight.map((c) => c.type), ...deps.deadLetters.list().map((d) => d.dead.type)]),
  ].sort();
  const stats = deps.queues ? await deps.queues.check(types) : undefined;
  return {
    principal,
    now,
    namespace: deps.namespace,
    broker: deps.broker(),
    types: types.map((type) => {
      const queue = stats?.queues.find((q) => q.type === type);
      return {
        type,
        inFlight: inFlight.filter((c) => c.type === type).length,
        instances: catalogue.types.find((t) => t.type === type)?.instances.length ?? 0,
        queued: queue?.messages ?? null,
        consumers: queue?.consumers ?? null,
      };
    }),
    deadLetterQueue: stats?.deadLetters ? { messages: stats.deadLetters.messages, consumers: stats.deadLetters.consumers } : null,
    queueError: stats?.error ?? (deps.queues ? null : 'Queue statistics need RabbitMQ (this gateway runs on the in-process transport).'),
    inFlight: inFlight.map((c) => callView(c, now)).sort((a, b) => b.ageMs - a.ageMs),
    instances: catalogue.instances.map((i) => ({
      instanceId: i.instanceId,
      service: i.service,
      language: i.language,
      types: i.types,
      concurrency: i.concurrency,
      startedAt: i.startedAt,
      lastSeenAt: i.lastSeenAt,
    })),
    failures: deps.calls
      .failures()
      .slice(0, 50)
      .map((c) => callView(c, now)),
    deadLetters: deps.deadLetters.list().map((d) => deadLetterView(d, false)),
    metrics: await totals(deps.metrics),
  };
};
