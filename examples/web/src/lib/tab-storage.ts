// What a page keeps in this tab's sessionStorage so a reload finds it: the
// key of the call it shows, the chat's conversation. sessionStorage, like the
// client's own call store: one tab, one session, one set of calls.

/** A fresh retained-call key (`A-Z a-z 0-9 _ . : -`, at most 128): one per run, so "again" runs again. */
export const newCallKey = (prefix: string): string => {
  const random = Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, '0')).join('');
  return `${prefix}.${Date.now().toString(36)}.${random}`;
};

export const readTabValue = <T>(name: string, isValid: (value: unknown) => value is T): T | undefined => {
  try {
    const raw = sessionStorage.getItem(name);
    if (raw === null) return undefined;
    const value: unknown = JSON.parse(raw);
    return isValid(value) ? value : undefined;
  } catch {
    return undefined; // no storage, or not ours: start empty
  }
};

export const writeTabValue = (name: string, value: unknown): void => {
  try {
    if (value === undefined) sessionStorage.removeItem(name);
    else sessionStorage.setItem(name, JSON.stringify(value));
  } catch {
    // quota or privacy mode: the page works, it just forgets on reload
  }
};
