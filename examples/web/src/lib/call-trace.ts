// What the gateway recorded about one of our calls (GET /calls/<id>): its
// trace id and its hops, accepted → published → picked up → first chunk →
// result. Asked with this tab's session token, so only our own calls answer.
import { sessionToken } from '../backend.ts';

export interface Hop {
  hop: 'accepted' | 'published' | 'picked-up' | 'first-chunk' | 'result' | 'error' | 'cancel-sent';
  /** Epoch ms; `picked-up` uses the worker's clock. */
  at: number;
  attempt?: number;
  outcome?: string;
  worker?: { instance: string; language: string; service?: string };
}

export interface CallTrace {
  id: string;
  type: string;
  traceId: string;
  traceparent: string;
  hops: Hop[];
}

export const fetchCallTrace = async (id: string): Promise<CallTrace | null> => {
  const token = sessionToken();
  try {
    const res = await fetch(`/calls/${encodeURIComponent(id)}`, { headers: token ? { 'x-warren-session': token } : {} });
    return res.ok ? ((await res.json()) as CallTrace) : null;
  } catch {
    return null; // the timeline is extra: the call itself is unaffected
  }
};
