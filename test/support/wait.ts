// Polling helpers for tests that watch another process or socket.
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 20 ms until it holds or `ms` pass; returns its last verdict for the test to assert. */
export const waitFor = async (check: () => boolean, ms = 10_000) => {
  const until = Date.now() + ms;
  while (!check() && Date.now() < until) await sleep(20);
  return check();
};

/** waitFor with an asynchronous check (one that must not block the event loop while it looks). */
export const waitUntil = async (check: () => Promise<boolean>, ms = 10_000) => {
  const until = Date.now() + ms;
  while (!(await check()) && Date.now() < until) await sleep(20);
  return check();
};
