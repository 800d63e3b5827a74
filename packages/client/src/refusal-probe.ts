// Why a WebSocket failed before it opened. A browser hides the HTTP status of
// a refused upgrade (the gateway answers a refused origin with 400 there), so
// socket.io-client would retry for ever. The same Engine.IO handshake over
// HTTP polling answers 403 with `CODE: message`, which the gateway lets the
// refused page read (that answer only), and that refusal is final.

export interface Refusal {
  code: 'FORBIDDEN' | 'UNAUTHORIZED';
  message: string;
}

/** Resolves with the gateway's refusal, or null when it is not refusing us (down, flaky, or fine). */
export type RefusalProbe = (url: string) => Promise<Refusal | null>;

export const probeRefusal: RefusalProbe = async (url) => {
  if (typeof fetch !== 'function') return null;
  try {
    const base = typeof location === 'undefined' ? undefined : location.href;
    const target = new URL('/socket.io/?EIO=4&transport=polling', new URL(url, base));
    target.protocol = target.protocol === 'wss:' ? 'https:' : target.protocol === 'ws:' ? 'http:' : target.protocol;
    const res = await fetch(target, { credentials: 'omit', cache: 'no-store' });
    if (res.status !== 401 && res.status !== 403) {
      void res.body?.cancel();
      return null;
    }
    const body = (await res.json()) as { message?: unknown };
    const found = /^(FORBIDDEN|UNAUTHORIZED): ([\s\S]*)$/.exec(String(body.message ?? ''));
    return found ? { code: found[1] as Refusal['code'], message: found[2]! } : null;
  } catch {
    return null; // unreachable, or not readable from this origin: keep retrying
  }
};
