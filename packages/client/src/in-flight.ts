// In-flight requests: the table of calls in flight, from start() until each
// settles: ids, deadlines, aborts, routing responses through each request's
// sequencer (sequencer.ts: its responses back in order), and what a
// connection's changes do to each call. Knows nothing about socket events;
// the backend feeds it connection changes and frames. Its parts: a call's
// checks and record (in-flight-call.ts), sending and acks (request-send.ts),
// keyed calls (keyed-calls.ts), cancels (cancels.ts).
import { CAPABILITIES, createWarrenError, fromWireError, parseQueuedFrame, parseResponse, type ErrorCode } from '@warren/protocol';
import type { CallStore } from './call-store.ts';
import { createCancels } from './cancels.ts';
import { createDeadlines } from './deadlines.ts';
import { checkCall, type Fail, type InFlight, type RequestOptions, type Settle } from './in-flight-call.ts';
import { createKeyedCalls } from './keyed-calls.ts';
import { createRequestFrames, type RequestFrames } from './request-frames.ts';
import { createRequestSend } from './request-send.ts';
import { createSequencer } from './sequencer.ts';
import { readDataJson } from './data-json.ts';

export type { AttachOptions, ChunkMeta, RequestOptions } from './in-flight-call.ts';

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

export const createInFlightTable = (deps: InFlightDeps): InFlightTable => {
  const now = deps.now ?? Date.now;
  const frames = deps.frames ?? createRequestFrames({ emit: deps.emit, isConnected: deps.isConnected });
  const requests = new Map<string, InFlight>();

  const settle: Settle = (request, outcome) => {
    if (request.settled) return;
    request.settled = true;
    requests.delete(request.id);
    deadlines.remove(request);
    request.stopWatching?.();
    // The gateway no longer has it: attaching again could only say so again.
    if ('error' in outcome && outcome.error.code === 'EXPIRED') keyed.forgetKey(request);
    if ('error' in outcome) request.reject(outcome.error);
    else request.resolve(outcome.value);
  };

  const fail: Fail = (request, code, message) => settle(request, { error: createWarrenError(code, message) });

  const call = (request: InFlight, name: 'onChunk' | 'onRestart' | 'onQueued', ...args: unknown[]): void => {
    const callback = request.options[name] as ((...a: unknown[]) => void) | undefined;
    if (callback === undefined) return;
    try {
      callback(...args);
    } catch (error) {
      deps.onCallbackError(error, request.id, name);
    }
  };

  // The parts call each other through these closures: each is built before any of them runs.
  const keyed = createKeyedCalls({
    isConnected: deps.isConnected,
    createId: deps.createId,
    now,
    calls: deps.calls,
    requests,
    fail,
    emitRequest: (request) => send.emitRequest(request),
    sendQueuedCancels: (retained) => cancels.sendQueuedByKey(retained),
  });
  const cancels = createCancels({ isConnected: deps.isConnected, emit: deps.emit, frames, freshId: keyed.freshId, keyedSent: keyed.sent });
  const send = createRequestSend({ now, frames, keyed, settle, fail, handleResponse: (raw) => handleResponse(raw) });
  // Runs while waiting for a connection too: a deadline is a promise to the caller.
  const deadlines = createDeadlines<InFlight>({
    now,
    expire: (request) => {
      if (request.settled) return;
      fail(request, 'TIMEOUT', `Request "${request.type}" (${request.firstId}) timed out after ${request.timeoutMs} ms`);
      cancels.send(request);
    },
  });
  const callContext = {
    createId: deps.createId,
    defaultTimeoutMs: deps.defaultTimeoutMs,
    isInFlight: (candidate: string) => requests.has(candidate),
  };

  const start = <Result, Chunk>(type: string, payload: unknown, options: RequestOptions<Chunk> = {}, mode: StartMode = 'run'): Promise<Result> =>
    new Promise<Result>((resolve, reject) => {
      const checked = checkCall(type, options as RequestOptions<never>, callContext);
      if (!checked.ok) return reject(checked.error);
      const { id, timeoutMs } = checked;
      const { signal } = options;

      const request: InFlight = {
        id,
        firstId: id,
        type,
        payload: payload === undefined ? null : payload,
        deadline: timeoutMs === 0 ? undefined : now() + timeoutMs,
        timeoutMs,
        earlier: undefined,
        later: undefined,
        phase: 'waiting',
        emitted: false,
        key: options.key,
        attachOnly: mode === 'attach',
        acceptedOnce: false,
        emission: 0,
        onWire: 0,
        settled: false,
        sequencer: undefined,
        options: options as RequestOptions<unknown>,
        resolve: resolve as (value: unknown) => void,
        reject,
        stopWatching: undefined,
      };
      requests.set(id, request);
      // Remembered before it is sent: a reload a moment later must find it.
      if (options.key !== undefined && mode === 'run') keyed.remember(options.key, id, type);
      deadlines.add(request);
      if (signal !== undefined) {
        const onAbort = (): void => {
          if (request.settled) return;
          fail(request, 'CANCELLED', `Request "${type}" (${id}) was cancelled`);
          cancels.send(request);
        };
        signal.addEventListener('abort', onAbort, { once: true });
        request.stopWatching = () => signal.removeEventListener('abort', onAbort);
      }
      if (deps.isConnected()) send.emitRequest(request);
    });

  const handleResponse = (raw: unknown): void => {
    const parsed = parseResponse(readDataJson(raw));
    if (!parsed.ok) return;
    const request = requests.get(parsed.value.id);
    if (request === undefined) return; // settled, cancelled or not ours
    // A response can overtake the ack; either proves the gateway accepted it.
    request.phase = 'accepted';
    request.acceptedOnce = true;
    const response = parsed.value;
    // The one answer of most calls (attempt 1, seq 0, final) needs no reordering:
    // it settles the call before a sequencer would be made for it.
    if (request.sequencer === undefined && response.attempt === 1 && response.seq === 0 && response.kind !== 'chunk') {
      if (response.kind === 'result') settle(request, { value: response.data });
      else settle(request, { error: fromWireError(response.error) });
      return;
    }
    request.sequencer ??= createSequencer();
    for (const event of request.sequencer.accept(response)) {
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

  const connected = (): void => {
    cancels.sendQueued();
    for (const request of [...requests.values()]) {
      if (request.settled || request.key !== undefined || !deps.isConnected()) continue;
      if (request.phase !== 'accepted') send.emitRequest(request);
    }
    keyed.sendKeyed(); // when this connection's session frame came first
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
    keyed.reset();
    frames.setBatching(false);
  };

  const setCapabilities = (names: readonly string[]): void => {
    const capabilities = new Set(names);
    keyed.setCapabilities(capabilities);
    // Only a gateway that says so reads `requests` frames: an older one would
    // never answer them. A batch holds no more than the gateway's largest
    // payload (frames included), which its frame limit is above.
    frames.setBatching(capabilities.has(CAPABILITIES.requestBatches), send.maxPayloadBytes());
    keyed.sendKeyed();
  };

  const setMaxPayloadBytes = (bytes: number | undefined): void => {
    send.setMaxPayloadBytes(bytes);
    // Sent before the limit was known (the first connect): the gateway will refuse or drop it anyway.
    for (const request of [...requests.values()]) send.refuseOversize(request);
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
      if (cancel) cancels.send(request);
    }
    if (!cancel) cancels.clear();
  };

  return { start, handleResponse, handleQueued, connected, disconnected, sessionLost, setMaxPayloadBytes, setCapabilities, rejectAll };
};
