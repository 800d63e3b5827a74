// Opens connections a few at a time with a deadline: a thundering herd of
// handshakes would measure the accept queue, not the system.
const BATCH = 32;

export const connectAll = async (openers: Array<() => Promise<void>>, timeoutMs = 30_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < openers.length; i += BATCH) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`connections not open after ${timeoutMs} ms`);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all(openers.slice(i, i + BATCH).map((open) => open())),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`connections not open after ${timeoutMs} ms`)), left))),
    ]).finally(() => clearTimeout(timer));
  }
};
