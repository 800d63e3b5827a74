// A `requests` frame (capability `request-batches`): several request frames
// a client sent within one tick, with one ack answered by the array of their
// acks. WebSocket frames are the gateway's largest native cost (decision
// 0015); this halves them on the way in, as `responses` frames do on the way
// out. Each element goes through the same pipeline as a `request` frame —
// plugins, rate and in-flight limits, the duplicate-id claim, payload checks —
// so batching bypasses nothing and costs what its elements would.
import { parseRequestsFrame, type Ack, type WireError } from '@warren/protocol';
import type { AckFn } from './request-pipeline.ts';

interface RequestBatchDeps {
  /** One element, exactly as a `request` frame is handled (the request pipeline), told it is a slot (`inFrame`). */
  handleRequest(frame: unknown, ack: AckFn, inFrame: true): Promise<void>;
  /** The frame was refused whole: nothing ran (the caller counts and logs it). */
  refused(error: WireError): void;
  /** The pipeline threw past its own handling (it acks every refusal itself). */
  failed(error: unknown): void;
}

/** What answers a `requests` frame: an ack per element, or one refusal for the whole frame. */
export type BatchAckFn = (answer: Ack[] | Ack) => void;

const INTERNAL: WireError = { code: 'INTERNAL', message: 'The gateway failed to accept the request.' };

const idOf = (frame: unknown): string | undefined => {
  const id = frame !== null && typeof frame === 'object' ? (frame as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id.slice(0, 128) : undefined;
};

/**
 * Runs every element of a `requests` frame and acks the frame once every
 * element has its answer (each as soon as a `request` frame's would be:
 * after the broker confirm, or at once when refused), in the frame's order.
 * A frame that is not an array of 1 to REQUESTS_FRAME.maxRequests is answered
 * with ONE refusal, not an array, and nothing runs.
 */
export const answerRequests = (raw: unknown, ack: BatchAckFn, deps: RequestBatchDeps): void => {
  const parsed = parseRequestsFrame(raw);
  if (!parsed.ok) {
    deps.refused(parsed.error);
    ack({ ok: false, error: parsed.error });
    return;
  }
  const frames = parsed.value;
  const acks = new Array<Ack | undefined>(frames.length);
  let waiting = frames.length;
  // A slot's ack is written with the frame's: what follows it (a fast call's
  // later responses, held-acks.ts) waits for this.
  let written!: () => void;
  const whenWritten = new Promise<void>((resolve) => {
    written = resolve;
  });
  const slot =
    (index: number): AckFn =>
    (answer) => {
      if (acks[index] !== undefined) return whenWritten; // a slot is answered once
      acks[index] = answer;
      if (--waiting === 0) {
        ack(acks as Ack[]);
        written();
      }
      return whenWritten;
    };
  frames.forEach((frame, index) => {
    const answer = slot(index);
    deps.handleRequest(frame, answer, true).catch((error: unknown) => {
      deps.failed(error);
      // Never a batch that cannot be answered: the others' acks wait for this one.
      const id = idOf(frame);
      void answer(id === undefined ? { ok: false, error: INTERNAL } : { ok: false, id, error: INTERNAL });
    });
  });
};
