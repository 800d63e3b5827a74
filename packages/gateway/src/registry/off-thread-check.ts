// Runs checkBounded on one worker thread for payloads too large to check on
// the event loop. Bounded: at most MAX_QUEUED checks wait at once (more are
// refused as RATE_LIMITED), and a check that takes longer than CHECK_TIMEOUT_MS
// ends the thread (a new one starts for the next check) and is refused.
import { Worker } from 'node:worker_threads';
import { createWarrenError } from '@warren/protocol';
import type { VariantSchema, VariantsOutcome } from './schema-check.ts';

const MAX_QUEUED = 32;
const CHECK_TIMEOUT_MS = 10_000;

type Waiter = { resolve: (outcome: VariantsOutcome) => void; reject: (error: Error) => void; timer: ReturnType<typeof setTimeout> };

export const createOffThreadCheck = ({ maxQueued = MAX_QUEUED, timeoutMs = CHECK_TIMEOUT_MS } = {}) => {
  let thread: Worker | undefined;
  let nextId = 0;
  const waiting = new Map<number, Waiter>();

  const failAll = (error: Error) => {
    for (const [id, w] of waiting) {
      clearTimeout(w.timer);
      waiting.delete(id);
      w.reject(error);
    }
  };
  const stop = () => {
    const t = thread;
    thread = undefined;
    void t?.terminate();
  };
  const start = () => {
    const t = new Worker(new URL('./validation-thread.mjs', import.meta.url));
    t.unref();
    t.on('message', (m: { id: number; outcome?: VariantsOutcome; failed?: string }) => {
      const w = waiting.get(m.id);
      if (!w) return;
      clearTimeout(w.timer);
      waiting.delete(m.id);
      if (m.outcome) w.resolve(m.outcome);
      else w.reject(new Error(`payload check failed: ${m.failed}`));
    });
    const lost = (why: string) => {
      if (thread !== t) return;
      thread = undefined;
      failAll(new Error(`the validation thread ${why}`));
    };
    t.on('error', (error) => lost(`failed: ${error.message}`));
    t.on('exit', (code) => lost(`exited with ${code}`));
    return t;
  };

  return {
    /** Checks the payload given as JSON text. */
    check(variants: VariantSchema[], json: string): Promise<VariantsOutcome> {
      if (waiting.size >= maxQueued) {
        return Promise.reject(createWarrenError('RATE_LIMITED', 'The gateway is busy checking other large payloads; retry shortly.'));
      }
      thread ??= start();
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          // Too costly to check: end the thread (and with it every check it
          // was doing) rather than let it grind on.
          waiting.delete(id);
          stop();
          failAll(new Error('the validation thread was restarted'));
          reject(
            createWarrenError('INVALID_PAYLOAD', `The payload is too costly to check against the announced schema (over ${timeoutMs} ms); send a smaller one.`),
          );
        }, timeoutMs);
        waiting.set(id, { resolve, reject, timer });
        thread!.postMessage({ id, variants, json });
      });
    },
    close() {
      stop();
      failAll(createWarrenError('SHUTTING_DOWN', 'The gateway is shutting down; retry.'));
    },
  };
};
