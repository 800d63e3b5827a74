// Where a tab remembers its retained calls (requests sent with a `key`)
// between page loads, so a reloaded page can attach to them again.
// sessionStorage, like the session token: a key is scoped to the session
// (or principal) the gateway knows, and two tabs are two sessions.
import { findSessionStorage } from './session-store.ts';

/** What the backend remembers about one keyed call. */
export interface RetainedCall {
  /** The id of the request that started (or first asked for) the call. */
  readonly id: string;
  readonly type: string;
  /** Epoch ms when it was sent. */
  readonly startedAt: number;
}

/** Pluggable and synchronous, so a page can read it during its first render. */
export interface CallStore {
  get(key: string): RetainedCall | undefined;
  set(key: string, call: RetainedCall): void;
  delete(key: string): void;
}

export const CALL_STORAGE_KEY = 'warren.calls';

/**
 * At most this many entries are kept (the oldest go first): finished calls
 * stay so a reload shows their result, and a long chat must not fill the
 * storage quota. The gateway forgets a call 10 minutes after its last reader.
 */
const MAX_ENTRIES = 100;

export const createMemoryCallStore = (): CallStore => {
  const calls = new Map<string, RetainedCall>();
  return {
    get: (key) => calls.get(key),
    set: (key, call) => {
      calls.delete(key); // re-inserted last: the newest
      calls.set(key, call);
      while (calls.size > MAX_ENTRIES) calls.delete(calls.keys().next().value as string);
    },
    delete: (key) => {
      calls.delete(key);
    },
  };
};

const isCall = (value: unknown): value is RetainedCall => {
  const call = value as Partial<RetainedCall> | null;
  return typeof call === 'object' && call !== null && typeof call.id === 'string' && typeof call.type === 'string' && typeof call.startedAt === 'number';
};

/** sessionStorage under 'warren.calls' (one JSON object, key → call) when there is one, else memory. */
export const createDefaultCallStore = (): CallStore => {
  const storage = findSessionStorage();
  const memory = createMemoryCallStore();
  if (storage === null) return memory;
  // Read on every call, not cached: another backend of the same tab may write too.
  const read = (): Map<string, RetainedCall> => {
    try {
      const parsed: unknown = JSON.parse(storage.getItem(CALL_STORAGE_KEY) ?? '{}');
      if (typeof parsed !== 'object' || parsed === null) return new Map();
      return new Map(Object.entries(parsed).filter((entry): entry is [string, RetainedCall] => isCall(entry[1])));
    } catch {
      return new Map(); // unreadable (edited by hand, another app): start over
    }
  };
  const write = (calls: Map<string, RetainedCall>): boolean => {
    try {
      storage.setItem(CALL_STORAGE_KEY, JSON.stringify(Object.fromEntries(calls)));
      return true;
    } catch {
      return false; // quota or privacy mode: the memory copy serves this page
    }
  };
  return {
    get: (key) => read().get(key) ?? memory.get(key),
    set: (key, call) => {
      memory.set(key, call);
      const calls = read();
      calls.delete(key);
      calls.set(key, call);
      const oldestFirst = [...calls].sort((a, b) => a[1].startedAt - b[1].startedAt);
      write(new Map(oldestFirst.slice(-MAX_ENTRIES)));
    },
    delete: (key) => {
      memory.delete(key);
      const calls = read();
      if (calls.delete(key)) write(calls);
    },
  };
};
