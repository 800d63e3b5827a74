// Cancels: sent at once when connected, else queued until the next
// connection. Apart from the table because a keyed call's cancel, offline,
// names its key (the id that attached it belonged to a socket that is gone).
import { EVENTS, parseAck, type CancelFrame } from '@warren/protocol';
import type { InFlight } from './in-flight-call.ts';
import type { RequestFrames } from './request-frames.ts';

interface CancelsDeps {
  isConnected(): boolean;
  emit(event: string, ...args: unknown[]): void;
  frames: RequestFrames;
  /** A fresh id for a frame (see keyed-calls.ts), or undefined when createId fails. */
  freshId(): string | undefined;
  /** Keyed calls went out on this connection (keyed-calls.ts): a keyed call's id is known there. */
  keyedSent(): boolean;
}

interface Cancels {
  /** Tells the gateway to stop a call it may have heard of, now or on the next connection. */
  send(request: InFlight): void;
  /** The socket (re)connected: sends the cancels queued by id. */
  sendQueued(): void;
  /** The gateway's capabilities are known: sends the cancels queued by key (dropped without retained calls). */
  sendQueuedByKey(retained: boolean): void;
  /** Drops every queued cancel. */
  clear(): void;
}

export const createCancels = (deps: CancelsDeps): Cancels => {
  const queuedCancels: CancelFrame[] = [];
  // A keyed call's cancel names its key: the id that attached it belonged to a socket that is gone.
  const queuedKeyCancels: Array<{ type: string; key: string }> = [];

  const send = (request: InFlight): void => {
    // What waits for its batch goes first: a request settled there is never
    // sent at all, and then needs no cancel.
    deps.frames.flush();
    if (!request.emitted) return; // the gateway never heard of it
    const frame: CancelFrame = { id: request.id, type: request.type };
    // A keyed call not yet attached on this connection is known there by its key only.
    if (request.key !== undefined && (!deps.isConnected() || !deps.keyedSent())) {
      queuedKeyCancels.push({ type: request.type, key: request.key });
      return;
    }
    if (!deps.isConnected()) {
      queuedCancels.push(frame);
      return;
    }
    try {
      deps.emit(EVENTS.cancel, frame);
    } catch {
      // best effort: the deadline still stops the worker
    }
  };

  /** A keyed call cancelled while offline: attach to it under a fresh id, then cancel that. */
  const cancelByKey = (type: string, key: string): void => {
    const id = deps.freshId();
    if (id === undefined) return;
    deps.emit(EVENTS.request, { id, type, key, attach: true }, (raw: unknown) => {
      try {
        const parsed = parseAck(raw);
        if (parsed.ok && parsed.value.ok) deps.emit(EVENTS.cancel, { id, type });
      } catch {
        // best effort: the call's deadline still stops it
      }
    });
  };

  const sendQueued = (): void => {
    for (const queued of queuedCancels.splice(0)) {
      try {
        deps.emit(EVENTS.cancel, queued);
      } catch {
        // best effort
      }
    }
  };

  const sendQueuedByKey = (retained: boolean): void => {
    for (const queued of queuedKeyCancels.splice(0)) {
      // Without retained calls the attach would start the call: dropped, its deadline still stops it.
      if (!retained) continue;
      try {
        cancelByKey(queued.type, queued.key);
      } catch {
        // best effort
      }
    }
  };

  const clear = (): void => {
    queuedCancels.length = 0;
    queuedKeyCancels.length = 0;
  };

  return { send, sendQueued, sendQueuedByKey, clear };
};
