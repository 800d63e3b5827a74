// One timer for a task every item repeats on its own phase: each connected
// socket's session-token refresh (connection.ts). A timer per socket cost
// an idle connection a native timer and a closure (issue 16); here an item
// costs one Map entry.
interface PeriodicOptions {
  now?: () => number;
  /** Runs `fire` after about `ms`; returns what cancels it. @default an unref'd setTimeout */
  schedule?: (fire: () => void, ms: number) => () => void;
}

interface Periodic<T> {
  /** `run(item)` every period from now on, the first one period from now. */
  add(item: T): void;
  delete(item: T): void;
}

const unrefTimer = (fire: () => void, ms: number) => {
  const timer = setTimeout(fire, ms);
  // As an unref'd setInterval per socket was: nothing here keeps a process alive.
  timer.unref?.();
  return () => clearTimeout(timer);
};

export const createPeriodic = <T>(periodMs: number, run: (item: T) => void, { now = Date.now, schedule = unrefTimer }: PeriodicOptions = {}): Periodic<T> => {
  // When each item is next due. One period for all, so the order items were
  // added (or last ran) is the order they fall due: the Map's own order is
  // the queue, and its first entry says when the timer must fire.
  const due = new Map<T, number>();
  let cancel: (() => void) | undefined;

  const arm = () => {
    const first = due.values().next();
    if (cancel !== undefined || first.done) return;
    cancel = schedule(sweep, Math.max(0, first.value - now()));
  };
  const sweep = () => {
    cancel = undefined;
    const t = now();
    try {
      // An item that ran goes to the back, due a period from now; the loop
      // stops at the first item not yet due, at the latest at one of those.
      for (const [item, at] of due) {
        if (at > t) break;
        due.delete(item);
        due.set(item, t + periodMs);
        run(item);
      }
    } finally {
      arm();
    }
  };

  return {
    add(item) {
      due.delete(item);
      due.set(item, now() + periodMs);
      arm();
    },
    delete(item) {
      due.delete(item);
      // Nothing left: no timer waits for nothing (a closing gateway's sockets all go).
      if (due.size === 0) {
        cancel?.();
        cancel = undefined;
      }
    },
  };
};
