// Where the session resume token lives between page loads of one tab.
// sessionStorage (not localStorage) because a session belongs to one tab:
// two tabs sharing a token would fight over one reply queue.

export interface SessionStore {
  get(): string | null;
  set(token: string): void;
}

export const SESSION_STORAGE_KEY = 'warren.session';

export const createMemorySessionStore = (initial: string | null = null): SessionStore => {
  let token = initial;
  return {
    get: () => token,
    set: (next) => {
      token = next;
    },
  };
};

interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** The tab's sessionStorage, or null where there is none (Node, Bun) or it may not be read. */
export const findSessionStorage = (): StorageLike | null => {
  try {
    // Reading the property itself throws in some sandboxed iframes.
    const storage = (globalThis as { sessionStorage?: StorageLike }).sessionStorage;
    return storage && typeof storage.getItem === 'function' ? storage : null;
  } catch {
    return null;
  }
};

/** sessionStorage under 'warren.session' when there is one, else memory. */
export const createDefaultSessionStore = (): SessionStore => {
  const storage = findSessionStorage();
  const memory = createMemorySessionStore();
  if (storage === null) return memory;
  return {
    // Storage can throw (quota, privacy mode): fall back to memory then.
    get: () => {
      try {
        return storage.getItem(SESSION_STORAGE_KEY) ?? memory.get();
      } catch {
        return memory.get();
      }
    },
    set: (token) => {
      memory.set(token);
      try {
        storage.setItem(SESSION_STORAGE_KEY, token);
      } catch {
        // memory copy is enough for this page's lifetime
      }
    },
  };
};
