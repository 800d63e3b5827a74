// Keyed (retained) calls: remembered in the call store, sent only to a
// gateway whose session frame lists retained calls (else refused unsent), and
// attached again under a fresh id after a reconnect. Apart from the table
// because all of it waits on what each connection's gateway supports.
import { CAPABILITIES, REQUEST_ID_PATTERN } from '@warren/protocol';
import type { CallStore } from './call-store.ts';
import type { Fail, InFlight } from './in-flight-call.ts';

interface KeyedCallsDeps {
  isConnected(): boolean;
  createId(): string;
  now(): number;
  /** Where keyed calls are remembered (see call-store.ts). */
  calls: CallStore;
  /** The table's calls by id. */
  requests: Map<string, InFlight>;
  fail: Fail;
  /** Sends (or attaches) one call (request-send.ts). */
  emitRequest(request: InFlight): void;
  /** Cancels by key that waited for this connection's capabilities (cancels.ts). */
  sendQueuedCancels(retained: boolean): void;
}

export interface KeyedCalls {
  /** Remembers a new keyed call before it is sent: a reload a moment later must find it. */
  remember(key: string, id: string, type: string): void;
  forgetKey(request: InFlight): void;
  /** A fresh id for a keyed call's next frame, or undefined when createId fails. */
  freshId(): string | undefined;
  /** True when a keyed call may go out now; false when it waits for the session frame or was refused. */
  maySend(request: InFlight): boolean;
  /** Keyed calls went out on this connection. */
  sent(): boolean;
  /** This connection's gateway's capabilities (its session frame's). */
  setCapabilities(capabilities: ReadonlySet<string>): void;
  /** Once per connection, when it is up and its gateway's capabilities are known: cancels by key, then keyed calls. */
  sendKeyed(): void;
  /** The socket dropped: the next connection may reach another gateway. */
  reset(): void;
}

export const createKeyedCalls = (deps: KeyedCallsDeps): KeyedCalls => {
  const { requests, fail } = deps;
  // What this connection's gateway supports; undefined until its session
  // frame arrives. A gateway from before retained calls strips `key` and
  // `attach` silently (the call would run on every send, an attach would
  // start it), so nothing keyed is sent to a gateway not known to keep them.
  let capabilities: ReadonlySet<string> | undefined;
  // Keyed calls and cancels by key went out on this connection (once its capabilities were known).
  let keyedSent = false;

  const remember = (key: string, id: string, type: string): void => {
    try {
      deps.calls.set(key, { id, type, startedAt: deps.now() });
    } catch {
      // a custom store failing only costs the re-attach after a reload
    }
  };

  const freshId = (): string | undefined => {
    try {
      const id = deps.createId();
      return typeof id === 'string' && REQUEST_ID_PATTERN.test(id) && !requests.has(id) ? id : undefined;
    } catch {
      return undefined;
    }
  };

  const forgetKey = (request: InFlight): void => {
    if (request.key === undefined) return;
    try {
      deps.calls.delete(request.key);
    } catch {
      // a custom store failing costs a useless attach later (answered EXPIRED)
    }
  };

  /** Fails a keyed call, unsent, because this gateway lacks retained calls. */
  const refuseKeyed = (request: InFlight): void => {
    const upgrade = `Upgrade every gateway to a version whose session frame lists "${CAPABILITIES.retainedCalls}"`;
    if (request.acceptedOnce || request.attachOnly) {
      // The call may be retained (started through another gateway): its key stays for one that can attach.
      fail(
        request,
        'INVALID_REQUEST',
        `Request "${request.type}" with key "${request.key}" cannot attach: this gateway does not support retained calls (key/attach). ${upgrade}, then attach again.`,
      );
      return;
    }
    forgetKey(request); // never sent: no call exists under its key
    fail(
      request,
      'INVALID_REQUEST',
      `Request "${request.type}" with key "${request.key}" was not sent: this gateway does not support retained calls (key/attach). ${upgrade}, or call without a key.`,
    );
  };

  const maySend = (request: InFlight): boolean => {
    if (capabilities === undefined) return false; // sent by sendKeyed once the session frame says what the gateway supports
    if (!capabilities.has(CAPABILITIES.retainedCalls)) {
      refuseKeyed(request);
      return false;
    }
    return true;
  };

  /**
   * A keyed call that went out on a socket that is gone gets a fresh id for
   * its next frame: the gateway has detached it, and its id from then may
   * still be claimed there (an attach under it would be a duplicate). The key
   * names the call whatever the id; responses arrive under the new one.
   */
  const renew = (request: InFlight): boolean => {
    const id = freshId();
    if (id === undefined) {
      fail(request, 'INTERNAL', `Request "${request.type}" could not attach again: createId failed`);
      return false;
    }
    requests.delete(request.id);
    request.id = id;
    requests.set(id, request);
    return true;
  };

  const sendKeyed = (): void => {
    if (keyedSent || capabilities === undefined || !deps.isConnected()) return;
    keyedSent = true;
    const retained = capabilities.has(CAPABILITIES.retainedCalls);
    deps.sendQueuedCancels(retained);
    for (const request of [...requests.values()]) {
      if (request.settled || request.key === undefined || !deps.isConnected()) continue;
      if (!retained) refuseKeyed(request);
      // Attach again (or, never acked, send it again: its key keeps it from running twice).
      else if (!request.emitted || renew(request)) deps.emitRequest(request);
    }
  };

  return {
    remember,
    forgetKey,
    freshId,
    maySend,
    sent: () => keyedSent,
    setCapabilities: (names) => {
      capabilities = names;
    },
    sendKeyed,
    reset: () => {
      capabilities = undefined;
      keyedSent = false;
    },
  };
};
