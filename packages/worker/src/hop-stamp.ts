// Stamps the first response (seq 0) of each attempt with the worker that
// picked the request up and when, so a gateway can show the call's hops
// (docs/protocol.md, "Hops"). One small object per attempt; nothing else
// on the wire changes.
import type { Response } from '@warren/protocol';
import type { Transport } from '@warren/transport';

export interface WorkerStamp {
  instance: string;
  language: string;
  service: string;
}

export interface HopStamper {
  /** Call when a delivery starts: remembers when this attempt was picked up. */
  pickedUp(session: string, id: string, attempt: number): void;
  /** The transport the request runs on, stamping seq 0 of each attempt. */
  readonly transport: Transport;
}

export const createHopStamper = (inner: Transport, who: WorkerStamp, now: () => number = Date.now): HopStamper => {
  const started = new Map<string, number>();
  const key = (session: string, id: string, attempt: number) => `${session}\u0000${id}\u0000${attempt}`;
  const stamp = (session: string, response: Response): Response => {
    if (response.seq !== 0) return response;
    const k = key(session, response.id, response.attempt);
    const startedAt = started.get(k) ?? now();
    started.delete(k);
    return { ...response, worker: { ...who, startedAt } };
  };
  const transport: Transport = {
    ...inner,
    publishResponse: (session: string, response: Response, replyTo?: string) => inner.publishResponse(session, stamp(session, response), replyTo),
    ...(inner.publishResponses
      ? {
          publishResponses: (session: string, responses: readonly Response[], replyTo?: string) =>
            inner.publishResponses!(session, responses.map((r) => stamp(session, r)), replyTo),
        }
      : {}),
  };
  return {
    transport,
    pickedUp(session, id, attempt) {
      // Bounded: an attempt that never publishes (lost delivery) must not leak an entry forever.
      if (started.size > 10_000) started.clear();
      started.set(key(session, id, attempt), now());
    },
  };
};
