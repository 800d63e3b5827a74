// A fake clock and scheduler for the units that take `now` and `schedule`
// (held-acks.ts, periodic.ts): nothing waits for real time.
export const fakeTimers = (start = 0) => {
  let time = start;
  const timers: { at: number; fire: () => void; cancelled: boolean }[] = [];
  return {
    now: () => time,
    schedule: (fire: () => void, ms: number) => {
      const timer = { at: time + ms, fire, cancelled: false };
      timers.push(timer);
      return () => {
        timer.cancelled = true;
      };
    },
    /** Timers armed and not cancelled. */
    armed: () => timers.filter((t) => !t.cancelled).length,
    /** Moves the clock `step` ms at a time (all of `ms` at once by default), firing each timer when it falls due. */
    advance(ms: number, step = ms) {
      let left = ms;
      // At least one pass: advance(0) fires what is already due.
      do {
        const by = Math.min(step, left);
        time += by;
        left -= by;
        for (const timer of timers.splice(0)) {
          if (timer.cancelled) continue;
          if (timer.at <= time) timer.fire();
          else timers.push(timer);
        }
      } while (left > 0);
    },
  };
};
