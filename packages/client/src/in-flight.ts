// In-flight requests: the checks a call passes before anything is sent,
// ids, deadlines, aborts, acks, and routing responses through each request's
// sequencer (sequencer.ts: its responses back in order). Knows
// nothing about socket events; the backend feeds it connection changes and
// frames. A bad call rejects with a code (never throws), like every other
// failure.
import {
  CAPABILITIES,
  createWarrenError,
  EVENTS,
  fromWireError,
  parseAck,
  parseQueuedFrame,
  parseResponse,
  REQUEST_ID_PATTERN,
  REQUEST_TYPE_PATTERN,
  type CancelFrame,
  type ErrorCode,
  type RequestFrame,
  type WarrenError,
  type WireError,
} from '@warren/protocol';
import type { CallStore } from './call-store.ts';
import { isTimeoutMs, TIMEOUT_RANGE } from './options.ts';
import { createRequestFrames, type RequestFrames } from './request-frames.ts';
import { createSequencer, type Sequencer } from './sequencer.ts';

/** Per-call options, and the checks a call passes before anything is sent. */
export interface ChunkMeta {
  /** Position of the chunk within its attempt, 0-based. */
  seq: number;
  /** Delivery attempt the chunk belongs to, 1-based. */
  attempt: number;
}

export interface RequestOptions<Chunk = unknown> {
  /** Each chunk, in order, exactly once per attempt. */
  onChunk?: (chunk: Chunk, meta: ChunkMeta) => void;
  /** A worker was lost and the request runs again; chunks restart at seq 0. */
  onRestart?: (attempt: number) => void;
  /** Abort → `cancel` frame and rejection with CANCELLED. */
  signal?: AbortSignal;
  /** Deadline in ms from now; 0 = none. @default the backend's defaultTimeoutMs */
  timeoutMs?: number;
  /**
   * Makes it a retained call (1–128 of `A-Z a-z 0-9 _ . : -`): the first
   * request with this key runs, a later one attaches to it (even after a
   * reload, through any gateway) instead of running it again. Kept in the
   * backend's call store until `forget(key)` or EXPIRED.
   */
  key?: string;
  /** The request waits in its queue with about `position` requests ahead (0: next); called as that changes. */
  onQueued?: (position: number) => void;
  /**
   * Ask for the fast lane: at most once, no durability (docs/protocol.md,
   * "The fast lane"). Taken when a live worker serves the type fast, else the
   * durable path is used. For idempotent reads; retry on TIMEOUT.
   */
  fast?: boolean;
}

/** `backend.attach`'s options: a call's, without the key (given apart). */
export type AttachOptions<Chunk = unknown> = Omit<RequestOptions<Chunk>, 'key'>;

type CheckedCall = { ok: true; id: string; timeoutMs: number } | { ok: false; error: WarrenError };

interface CallContext {
  createId(): string;
  defaultTimeoutMs: number;
  isInFlight(id: string): boolean;
}

const checkCall = (type: unknown, options: RequestOptions<never>, context: CallContext): CheckedCall => {
  const invalidCall = (code: 'INVALID_REQUEST' | 'CANCELLED' | 'INTERNAL', message: string): CheckedCall => ({
    ok: false,
    error: createWarrenError(code, message),
  });
  if (typeof type !== 'string' || !REQUEST_TYPE_PATTERN.test(type)) {
    return invalidCall('INVALID_REQUEST', `Request type ${JSON.stringify(type)} must be a letter then up to 99 of A-Z a-z 0-9 _ . -`);
  }
  const timeoutMs = options.timeoutMs ?? context.defaultTimeoutMs;
  if (!isTimeoutMs(timeoutMs)) return invalidCall('INVALID_REQUEST', `timeoutMs must be ${TIMEOUT_RANGE}, got ${String(timeoutMs)}`);
  // Already aborted: nothing was sent, so there is nothing to cancel.
  if (options.signal?.aborted) return invalidCall('CANCELLED', `Request "${type}" was cancelled before it was sent`);
  if (options.key !== undefined && (typeof options.key !== 'string' || !REQUEST_ID_PATTERN.test(options.key))) {
    return invalidCall('INVALID_REQUEST', `key ${JSON.stringify(options.key)} must be 1–128 of A-Z a-z 0-9 _ . : -`);
  }
  let id: unknown;
  try {
    id = context.createId();
  } catch (error) {
    return invalidCall('INTERNAL', `createId threw: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof id !== 'string' || !REQUEST_ID_PATTERN.test(id)) {
    return invalidCall('INVALID_REQUEST', `createId returned ${JSON.stringify(id)}; ids are 1–128 of A-Z a-z 0-9 _ . : -`);
  }
  if (context.isInFlight(id)) return invalidCall('INVALID_REQUEST', `createId returned "${id}", which is already in flight`);
  return { ok: true, id, timeoutMs };
};

interface InFlightDeps {
  isConnected(): boolean;
  /** socket.emit; may throw (e.g. a payload socket.io cannot encode). */
  emit(event: string, ...args: unknown[]): void;
  createId(): string;
  defaultTimeoutMs: number;
  /** Where keyed calls are remembered (see call-store.ts). */
  calls: CallStore;
  /**
   * How request frames leave: one by one, or a tick's as one `requests`
   * frame once the gateway lists `request-batches` (request-frames.ts).
   * @default createRequestFrames over `emit`
   */
  frames?: RequestFrames;
  /** A caller's callback threw; reported, never rethrown into socket handlers. */
  onCallbackError(error: unknown, requestId: string, callback: string): void;
  now?: () => number;
}

/** 'run': send the request (with a key: run or attach); 'attach': only attach to the retained call `options.key`. */
type StartMode = 'run' | 'attach';

interface InFlightTable {
  start<Result, Chunk>(type: string, payload: unknown, options?: RequestOptions<Chunk>, mode?: StartMode): Promise<Result>;
  handleResponse(raw: unknown): void;
  /** A `queued` frame: tells the request how many wait ahead of it. */
  handleQueued(raw: unknown): void;
  /**
   * Socket (re)connected: send queued cancels, then every request not yet
   * acked. Keyed calls (and cancels by key) wait for this connection's
   * session frame (setCapabilities), then attach again or go out.
   */
  connected(): void;
  /** Socket dropped: requests not yet acked will be sent again on reconnect; what the next gateway supports is unknown until its session frame. */
  disconnected(): void;
  /** The gateway began a new session: answers to accepted requests cannot arrive. */
  sessionLost(): void;
  /**
   * The gateway's payload limit (from its session frame): requests above it
   * fail PAYLOAD_TOO_LARGE at once, now and whenever they would be sent.
   */
  setMaxPayloadBytes(bytes: number | undefined): void;
  /**
   * What this connection's gateway supports (its session frame's
   * `capabilities`; an older gateway's frame has none). Sends the keyed
   * calls that waited for it, or, without retained calls, fails them
   * INVALID_REQUEST unsent.
   */
  setCapabilities(names: readonly string[]): void;
  /** Rejects everything pending; `cancel` tells the gateway to stop what it accepted. */
  rejectAll(code: ErrorCode, message: string, options?: { cancel?: boolean }): void;
}

interface InFlight {
  id: string;
  type: string;
  payload: unknown;
  /** Bytes of the payload as JSON, once measured. */
  payloadBytes?: number;
  deadline: number | undefined;
  phase: 'waiting' | 'sent' | 'accepted';
  /** Sent at least once, so the gateway may know it and a cancel is worth sending. */
  emitted: boolean;
  /** A retained call's key. */
  key: string | undefined;
  /** Only attach (backend.attach), never start. */
  attachOnly: boolean;
  /**
   * The gateway accepted it at least once. A keyed call is then attached
   * again (never re-sent) after a reconnect: the gateway detaches a call
   * from a socket that left, and replays it from the first response.
   */
  acceptedOnce: boolean;
  emission: number;
  /** The emission that last went out on the socket (not only queued for a batch). */
  onWire: number;
  settled: boolean;
  sequencer: Sequencer;
  options: RequestOptions<unknown>;
  resolve(value: unknown): void;
  reject(error: WarrenError): void;
  cleanup(): void;
}

export const createInFlightTable = (deps: InFlightDeps): InFlightTable => {
  const now = deps.now ?? Date.now;
  const frames = deps.frames ?? createRequestFrames({ emit: deps.emit, isConnected: deps.isConnected });
  const requests = new Map<string, InFlight>();
  const queuedCancels: CancelFrame[] = [];
  // A keyed call's cancel names its key: the id that attached it belonged to a socket that is gone.
  const queuedKeyCancels: Array<{ type: string; key: string }> = [];
  // What this connection's gateway supports; undefined until its session
  // frame arrives. A gateway from before retained calls strips `key` and
  // `attach` silently (the call would run on every send, an attach would
  // start it), so nothing keyed is sent to a gateway not known to keep them.
  let capabilities: ReadonlySet<string> | undefined;
  // Keyed calls and cancels by key went out on this connection (once its capabilities were known).
  let keyedSent = false;

  /** A fresh id for a keyed call's next frame, or undefined when createId fails. */
  const freshId = (): string | undefined => {
    try {
      const id = deps.createId();
      return typeof id === 'string' && REQUEST_ID_PATTERN.test(id) && !requests.has(id) ? id : undefined;
    } catch {
      return undefined;
    }
  };

  const sendCancel = (request: InFlight): void => {
    // What waits for its batch goes first: a request settled there is never
    // sent at all, and then needs no cancel.
    frames.flush();
    if (!request.emitted) return; // the gateway never heard of it
    const frame: CancelFrame = { id: request.id, type: request.type };
    // A keyed call not yet attached on this connection is known there by its key only.
    if (request.key !== undefined && (!deps.isConnected() || !keyedSent)) {
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

  const forgetKey = (request: InFlight): void => {
    if (request.key === undefined) return;
    try {
      deps.calls.delete(request.key);
    } catch {
      // a custom store failing costs a useless attach later (answered EXPIRED)
    }
  };

  const settle = (request: InFlight, outcome: { value: unknown } | { error: WarrenError }): void => {
    if (request.settled) return;
    request.settled = true;
    requests.delete(request.id);
    request.cleanup();
    // The gateway no longer has it: attaching again could only say so again.
    if ('error' in outcome && outcome.error.code === 'EXPIRED') forgetKey(request);
    if ('error' in outcome) request.reject(outcome.error);
    else request.resolve(outcome.value);
  };

  const fail = (request: InFlight, code: ErrorCode, message: string): void => settle(request, { error: createWarrenError(code, message) });

  const call = (request: InFlight, name: 'onChunk' | 'onRestart' | 'onQueued', ...args: unknown[]): void => {
    const callback = request.options[name] as ((...a: unknown[]) => void) | undefined;
    if (callback === undefined) return;
    try {
      callback(...args);
    } catch (error) {
      deps.onCallbackError(error, request.id, name);
    }
  };

  const onAck = (request: InFlight, emission: number, raw: unknown): void => {
    if (request.settled) return;
    const parsed = parseAck(raw);
    if (parsed.ok && parsed.value.ok) {
      request.phase = 'accepted'; // even from an earlier send: no need to send it again
      request.acceptedOnce = true;
      // fast-answers: the call's first response rode in the ack; read as a `response` frame is (a bad one is dropped).
      const { response } = parsed.value;
      // Only the call's own: an envelope naming another request is dropped as malformed.
      if (response !== undefined && (response as { id?: unknown } | null)?.id === request.id) handleResponse(response);
      return;
    }
    // Once accepted, a refusal can only answer a duplicate re-send of the
    // same id; the original is running, so it is ignored. Likewise an
    // answer to an earlier send than the latest.
    if (request.phase === 'accepted' || emission !== request.emission) return;
    // Refused before the gateway ever took it: no call exists under its key.
    if (!request.acceptedOnce && !request.attachOnly) forgetKey(request);
    if (parsed.ok && !parsed.value.ok) settle(request, { error: fromWireError(parsed.value.error as WireError) });
    else if ((raw as { ok?: unknown } | null)?.ok === false) {
      fail(request, 'INTERNAL', `The gateway refused request "${request.type}" with an unreadable error`);
    }
    // Anything else is malformed: ignored; the deadline still applies.
  };

  let maxPayloadBytes: number | undefined;
  /** About what a request frame's JSON holds besides id, type, key and payload (names, timeoutMs, flags). */
  const FRAME_FIELDS_BYTES = 80;
  const encoder = new TextEncoder();
  const bytesOf = (request: InFlight): number => {
    if (request.payloadBytes === undefined) {
      try {
        request.payloadBytes = encoder.encode(JSON.stringify(request.payload) ?? 'null').byteLength;
      } catch {
        request.payloadBytes = 0; // socket.io's encoder reports what JSON cannot carry
      }
    }
    return request.payloadBytes;
  };
  /** Fails the request when it is above the gateway's limit; true when it did. */
  const refuseOversize = (request: InFlight): boolean => {
    if (maxPayloadBytes === undefined || request.phase === 'accepted' || request.acceptedOnce || request.attachOnly || request.settled) return false;
    const bytes = bytesOf(request);
    if (bytes <= maxPayloadBytes) return false;
    fail(request, 'PAYLOAD_TOO_LARGE', `Request "${request.type}" has a payload of ${bytes} bytes; the gateway accepts at most ${maxPayloadBytes}.`);
    return true;
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

  const emitRequest = (request: InFlight): void => {
    // Never sent: a frame above the gateway's limit would only cost the connection.
    if (refuseOversize(request)) return;
    if (request.key !== undefined) {
      if (capabilities === undefined) return; // sent by sendKeyed once the session frame says what the gateway supports
      if (!capabilities.has(CAPABILITIES.retainedCalls)) {
        refuseKeyed(request);
        return;
      }
    }
    request.phase = 'sent';
    const emission = ++request.emission;
    let frame: RequestFrame;
    if (request.key !== undefined && (request.attachOnly || request.acceptedOnce)) {
      // The call runs (or ran) already: this only reads it, so no payload.
      frame = { id: request.id, type: request.type, key: request.key, attach: true } as RequestFrame;
    } else {
      // The schema types payload as non-undefined JSON; start() already turned undefined into null.
      frame = { id: request.id, type: request.type, payload: request.payload as RequestFrame['payload'] };
      if (request.key !== undefined) frame.key = request.key;
    }
    // What is left of the budget, so the gateway's deadline is never later than ours
    // (for an attach: how long this reader waits; the call keeps its own).
    if (request.deadline !== undefined) frame.timeoutMs = Math.max(1, Math.ceil(request.deadline - now()));
    if (request.options.fast === true) frame.fast = true;
    frames.send(
      {
        frame,
        onAck: (raw) => {
          try {
            onAck(request, emission, raw);
          } catch {
            // never throw into socket.io
          }
        },
        onError: (error) => {
          const reason = error instanceof Error ? error.message : String(error);
          fail(request, 'INVALID_REQUEST', `Request "${request.type}" could not be sent: ${reason}`);
        },
        live: () => !request.settled && request.emission === emission,
        sent: () => {
          request.emitted = true;
          request.onWire = emission;
        },
      },
      // The frame's fields besides the payload count too: a batch stays under the gateway's frame limit.
      () => FRAME_FIELDS_BYTES + request.id.length + request.type.length + (request.key?.length ?? 0) + (frame.payload === undefined ? 0 : bytesOf(request)),
    );
  };

  const start = <Result, Chunk>(type: string, payload: unknown, options: RequestOptions<Chunk> = {}, mode: StartMode = 'run'): Promise<Result> =>
    new Promise<Result>((resolve, reject) => {
      const checked = checkCall(type, options as RequestOptions<never>, {
        createId: deps.createId,
        defaultTimeoutMs: deps.defaultTimeoutMs,
        isInFlight: (candidate) => requests.has(candidate),
      });
      if (!checked.ok) return reject(checked.error);
      const { id, timeoutMs } = checked;
      const { signal } = options;

      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = (): void => {
        if (request.settled) return;
        fail(request, 'CANCELLED', `Request "${type}" (${id}) was cancelled`);
        sendCancel(request);
      };
      const request: InFlight = {
        id,
        type,
        payload: payload === undefined ? null : payload,
        deadline: timeoutMs === 0 ? undefined : now() + timeoutMs,
        phase: 'waiting',
        emitted: false,
        key: options.key,
        attachOnly: mode === 'attach',
        acceptedOnce: false,
        emission: 0,
        onWire: 0,
        settled: false,
        sequencer: createSequencer(),
        options: options as RequestOptions<unknown>,
        resolve: resolve as (value: unknown) => void,
        reject,
        cleanup: () => {
          if (timer !== undefined) clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        },
      };
      requests.set(id, request);
      if (options.key !== undefined && mode === 'run') {
        // Remembered before it is sent: a reload a moment later must find it.
        try {
          deps.calls.set(options.key, { id, type, startedAt: now() });
        } catch {
          // a custom store failing only costs the re-attach after a reload
        }
      }
      if (timeoutMs > 0) {
        // Runs while waiting for a connection too: a deadline is a promise to the caller.
        timer = setTimeout(() => {
          fail(request, 'TIMEOUT', `Request "${type}" (${id}) timed out after ${timeoutMs} ms`);
          sendCancel(request);
        }, timeoutMs);
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      if (deps.isConnected()) emitRequest(request);
    });

  const handleResponse = (raw: unknown): void => {
    const parsed = parseResponse(raw);
    if (!parsed.ok) return;
    const request = requests.get(parsed.value.id);
    if (request === undefined) return; // settled, cancelled or not ours
    // A response can overtake the ack; either proves the gateway accepted it.
    request.phase = 'accepted';
    request.acceptedOnce = true;
    for (const event of request.sequencer.accept(parsed.value)) {
      if (request.settled) return; // a callback aborted it
      if (event.kind === 'restart') call(request, 'onRestart', event.attempt);
      else if (event.kind === 'overflow') {
        fail(request, 'INTERNAL', `Request "${request.type}" (${request.id}): ${event.held} responses arrived out of order`);
      } else {
        const response = event.response;
        switch (response.kind) {
          case 'chunk':
            call(request, 'onChunk', response.data, { seq: response.seq, attempt: response.attempt });
            break;
          case 'result':
            settle(request, { value: response.data });
            break;
          case 'error':
            settle(request, { error: fromWireError(response.error) });
            break;
        }
      }
    }
  };

  const handleQueued = (raw: unknown): void => {
    const parsed = parseQueuedFrame(raw);
    if (!parsed.ok) return;
    const request = requests.get(parsed.value.id);
    if (request !== undefined && !request.settled) call(request, 'onQueued', parsed.value.position);
  };

  /** A keyed call cancelled while offline: attach to it under a fresh id, then cancel that. */
  const cancelByKey = (type: string, key: string): void => {
    const id = freshId();
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

  /** Once per connection, when it is up and its gateway's capabilities are known: cancels by key, then keyed calls. */
  const sendKeyed = (): void => {
    if (keyedSent || capabilities === undefined || !deps.isConnected()) return;
    keyedSent = true;
    const retained = capabilities.has(CAPABILITIES.retainedCalls);
    for (const queued of queuedKeyCancels.splice(0)) {
      // Without retained calls the attach would start the call: dropped, its deadline still stops it.
      if (!retained) continue;
      try {
        cancelByKey(queued.type, queued.key);
      } catch {
        // best effort
      }
    }
    for (const request of [...requests.values()]) {
      if (request.settled || request.key === undefined || !deps.isConnected()) continue;
      if (!retained) refuseKeyed(request);
      // Attach again (or, never acked, send it again: its key keeps it from running twice).
      else if (!request.emitted || renew(request)) emitRequest(request);
    }
  };

  const connected = (): void => {
    for (const queued of queuedCancels.splice(0)) {
      try {
        deps.emit(EVENTS.cancel, queued);
      } catch {
        // best effort
      }
    }
    for (const request of [...requests.values()]) {
      if (request.settled || request.key !== undefined || !deps.isConnected()) continue;
      if (request.phase !== 'accepted') emitRequest(request);
    }
    sendKeyed(); // when this connection's session frame came first
  };

  const disconnected = (): void => {
    for (const request of [...requests.values()]) {
      if (request.phase !== 'sent') continue;
      // A fast request that went out and was not acked may have run (its ack
      // waits up to FAST_ACK_HOLD_MS for its answer, fast-answers): at most
      // once, so it is not sent again, and the caller learns why at once.
      if (request.options.fast === true && request.onWire === request.emission) {
        fail(
          request,
          'DISCONNECTED',
          `Fast request "${request.type}" (${request.id}) lost its connection before its ack; it may have run, and the fast lane runs a call at most once, so it was not sent again. Retry it if it is idempotent.`,
        );
      } else request.phase = 'waiting';
    }
    // The next connection may reach another gateway (a rolling upgrade, a rollback): ask it again.
    capabilities = undefined;
    keyedSent = false;
    frames.setBatching(false);
  };

  const setCapabilities = (names: readonly string[]): void => {
    capabilities = new Set(names);
    // Only a gateway that says so reads `requests` frames: an older one would
    // never answer them. A batch holds no more than the gateway's largest
    // payload (frames included), which its frame limit is above.
    frames.setBatching(capabilities.has(CAPABILITIES.requestBatches), maxPayloadBytes);
    sendKeyed();
  };

  const setMaxPayloadBytes = (bytes: number | undefined): void => {
    maxPayloadBytes = bytes;
    // Sent before the limit was known (the first connect): the gateway will refuse or drop it anyway.
    for (const request of [...requests.values()]) refuseOversize(request);
  };

  const sessionLost = (): void => {
    for (const request of [...requests.values()]) {
      // A keyed call lives on without the session: its re-attach finds it, or answers EXPIRED.
      if (request.phase !== 'accepted' || request.key !== undefined) continue;
      fail(request, 'DISCONNECTED', `Request "${request.type}" (${request.id}) was lost: the gateway could not resume the session`);
    }
  };

  const rejectAll = (code: ErrorCode, message: string, { cancel = false } = {}): void => {
    for (const request of [...requests.values()]) {
      fail(request, code, message);
      if (cancel) sendCancel(request);
    }
    if (!cancel) {
      queuedCancels.length = 0;
      queuedKeyCancels.length = 0;
    }
  };

  return { start, handleResponse, handleQueued, connected, disconnected, sessionLost, setMaxPayloadBytes, setCapabilities, rejectAll };
};
