// A Jepsen-style checker: every request is tracked from the caller's side
// (what a UI would show: chunks since the last restart, the result) and
// classified at the end as ok / lost / duplicated / wrong-recipient, or
// rejected (never accepted, e.g. BROKER_UNAVAILABLE) / hung.
import type { Backend, WarrenError } from '@warren/client';

export type Outcome = 'ok' | 'lost' | 'duplicated' | 'wrong-recipient' | 'rejected' | 'hung';

interface Chunk {
  seq: number;
  tag?: string;
}

export interface Tracked {
  tag: string;
  expected: number;
  startedAt: number;
  settledAt?: number;
  shown: Chunk[];
  restarts: number;
  results: number;
  /** The last result value (tells which worker answered, for reports). */
  result?: unknown;
  error?: WarrenError;
  done: boolean;
  /** Resolves when the request settles either way. */
  settled: Promise<void>;
}

/** Codes a request can get without ever having been accepted. */
const REJECTIONS = new Set(['BROKER_UNAVAILABLE', 'NO_HANDLER', 'SHUTTING_DOWN', 'RATE_LIMITED']);

export const classify = (t: Tracked): Outcome => {
  if (t.shown.some((c) => c.tag !== undefined && c.tag !== t.tag)) return 'wrong-recipient';
  const seqs = t.shown.map((c) => c.seq);
  if (t.results > 1 || new Set(seqs).size !== seqs.length) return 'duplicated';
  if (!t.done) return 'hung';
  if (t.error) return REJECTIONS.has(t.error.code) ? 'rejected' : 'lost';
  const complete = seqs.length === t.expected && seqs.every((s, i) => s === i);
  return complete ? 'ok' : 'lost';
};

export const createChecker = () => {
  const tracked: Tracked[] = [];
  return {
    tracked,
    /** Sends testRequest-shaped work and records what the caller sees. */
    track(
      backend: Backend,
      type: string,
      payload: Record<string, unknown> & { count: number; tag: string },
      options: { timeoutMs?: number; signal?: AbortSignal } = {},
    ) {
      const t: Tracked = {
        tag: payload.tag,
        expected: payload.count,
        startedAt: Date.now(),
        shown: [],
        restarts: 0,
        results: 0,
        done: false,
        settled: Promise.resolve(),
      };
      t.settled = backend
        .makeBackendRequest(type, payload, {
          ...options,
          onChunk: (chunk: Chunk) => t.shown.push(chunk),
          // A restart is a clean slate on screen: the old attempt's chunks go.
          onRestart: () => {
            t.restarts += 1;
            t.shown = [];
          },
        })
        .then(
          (result: unknown) => {
            t.results += 1;
            t.result = result;
          },
          (error: WarrenError) => {
            t.error = error;
          },
        )
        .finally(() => {
          t.done = true;
          t.settledAt = Date.now();
        });
      tracked.push(t);
      return t;
    },
    /** Waits for everything to settle, at most `ms`; what is left is hung. */
    async settle(ms: number) {
      await Promise.race([Promise.all(tracked.map((t) => t.settled)), new Promise((r) => setTimeout(r, ms))]);
    },
    counts() {
      const counts: Record<Outcome, number> = { ok: 0, lost: 0, duplicated: 0, 'wrong-recipient': 0, rejected: 0, hung: 0 };
      for (const t of tracked) counts[classify(t)] += 1;
      return { ...counts, total: tracked.length, restarts: tracked.reduce((n, t) => n + (t.restarts > 0 ? 1 : 0), 0) };
    },
    print(name: string) {
      const c = this.counts();
      const errors = [...new Set(tracked.filter((t) => t.error).map((t) => t.error!.code))].join(',');
      console.log(
        `[fault] ${name}: total=${c.total} ok=${c.ok} lost=${c.lost} duplicated=${c.duplicated} wrong-recipient=${c['wrong-recipient']} rejected=${c.rejected} hung=${c.hung} restarted=${c.restarts}${errors ? ` errors=${errors}` : ''}`,
      );
      return c;
    },
  };
};
