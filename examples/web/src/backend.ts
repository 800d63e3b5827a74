// The app's one backend: one socket, one gateway session per tab. `/` is the
// origin that served the page: the gateway in production, Vite's proxy in dev.
// Request ids are made here, so a page can learn the id of the request it is
// about to send (captureNextId) and show it, or look up its hops by it.
import { createBackend } from '@warren/client';

const randomId = (): string => {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
};

let tap: ((id: string) => void) | undefined;

export const backend = createBackend({
  url: '/',
  createId: () => {
    const id = randomId();
    const take = tap;
    tap = undefined;
    take?.(id);
    return id;
  },
});

/**
 * Calls `onId` with the id of the next request this page sends. A hook's
 * `send` makes its request synchronously, so capture right before it.
 */
export const captureNextId = (onId: (id: string) => void): void => {
  tap = onId;
};

/** The gateway's resume token of this tab's session: it proves a request id is ours when asking for its hops. */
export const sessionToken = (): string | null => {
  try {
    return sessionStorage.getItem('warren.session');
  } catch {
    return null;
  }
};
