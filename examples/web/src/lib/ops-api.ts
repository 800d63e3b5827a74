// The operations console's calls to the gateway (/ops/api, docs/operations.md).
// An operator token, when the gateway needs one, is kept for this tab only.
const TOKEN_KEY = 'warren.opsToken';

export const opsToken = (): string => {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    return '';
  }
};
export const setOpsToken = (token: string) => {
  try {
    if (token === '') sessionStorage.removeItem(TOKEN_KEY);
    else sessionStorage.setItem(TOKEN_KEY, token);
  } catch {
    // private mode: the token lasts until the page closes
  }
};

export interface OpsCall {
  id: string;
  type: string;
  traceId: string | null;
  principal: string | null;
  ageMs: number;
  attempt: number;
  outcome: string | null;
  error: { code: string; message: string } | null;
  acceptedAt: number;
  finishedAt: number | null;
}
export interface OpsReplay {
  requestId: string;
  by: string;
  at: number;
  outcome?: string;
  result?: unknown;
  error?: { code: string; message: string };
}
export interface OpsDeadLetter {
  key: string;
  id: string;
  type: string;
  reason: string;
  deliveries: number;
  receivedAt: number;
  traceId: string | null;
  replayable: boolean;
  replays: OpsReplay[];
  request?: { payload: unknown; principal: unknown; deadline: number | null; traceparent: string | null };
}
export interface Overview {
  principal: string;
  now: number;
  namespace: string;
  broker: string;
  types: Array<{ type: string; inFlight: number; instances: number; queued: number | null; consumers: number | null }>;
  deadLetterQueue: { messages: number | null; consumers: number | null } | null;
  queueError: string | null;
  inFlight: OpsCall[];
  instances: Array<{ instanceId: string; service: string; language: string; types: string[]; concurrency: number; startedAt: number; lastSeenAt: number }>;
  failures: OpsCall[];
  deadLetters: OpsDeadLetter[];
  metrics: { accepted: number; ok: number; failed: number; chunks: number; latencySecondsSum: number; latencyCount: number };
}

export type OpsResult<T> = { ok: true; value: T } | { ok: false; status: number; message: string };

const call = async <T>(path: string, init: RequestInit = {}): Promise<OpsResult<T>> => {
  const token = opsToken();
  const headers: Record<string, string> = { ...(init.method === 'POST' ? { 'x-warren-ops': '1' } : {}) };
  if (token) headers.authorization = `Bearer ${token}`;
  try {
    const res = await fetch(path, { ...init, headers });
    const body = (await res.json().catch(() => null)) as (T & { error?: { message?: string } }) | null;
    if (res.ok && body) return { ok: true, value: body };
    return { ok: false, status: res.status, message: body?.error?.message ?? `The gateway answered ${res.status}.` };
  } catch {
    return { ok: false, status: 0, message: 'The gateway cannot be reached.' };
  }
};

export const opsApi = {
  overview: () => call<Overview>('/ops/api/overview'),
  inspect: (key: string) => call<OpsDeadLetter>(`/ops/api/dead-letters/${key}`),
  replay: (key: string) => call<OpsReplay>(`/ops/api/dead-letters/${key}/replay`, { method: 'POST' }),
  discard: (key: string) => call<{ discarded: string }>(`/ops/api/dead-letters/${key}/discard`, { method: 'POST' }),
};
