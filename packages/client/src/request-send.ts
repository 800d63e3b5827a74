// Sending one call: the gateway's payload limit, its request frame (a run or
// an attach), and its ack. Apart from the table because it is the one path
// every send and re-send takes; request-frames.ts decides how frames leave.
import { fromWireError, parseAck, type RequestFrame, type WireError } from '@warren/protocol';
import type { Fail, InFlight, Settle } from './in-flight-call.ts';
import type { KeyedCalls } from './keyed-calls.ts';
import type { RequestFrames } from './request-frames.ts';
import { utf8Bytes } from './utf8-bytes.ts';

interface RequestSendDeps {
  now(): number;
  frames: RequestFrames;
  keyed: Pick<KeyedCalls, 'maySend' | 'forgetKey'>;
  settle: Settle;
  fail: Fail;
  /** A `response` frame (the table's): a fast answer rides in the ack. */
  handleResponse(raw: unknown): void;
}

interface RequestSend {
  emitRequest(request: InFlight): void;
  /** Fails the request when it is above the gateway's limit; true when it did. */
  refuseOversize(request: InFlight): boolean;
  setMaxPayloadBytes(bytes: number | undefined): void;
  maxPayloadBytes(): number | undefined;
}

/** About what a request frame's JSON holds besides id, type, key and payload (names, timeoutMs, flags). */
const FRAME_FIELDS_BYTES = 80;

export const createRequestSend = (deps: RequestSendDeps): RequestSend => {
  const { now, frames, keyed, settle, fail } = deps;
  let maxPayloadBytes: number | undefined;
  const encoder = new TextEncoder();

  const onAck = (request: InFlight, emission: number, raw: unknown): void => {
    if (request.settled) return;
    const parsed = parseAck(raw);
    if (parsed.ok && parsed.value.ok) {
      request.phase = 'accepted'; // even from an earlier send: no need to send it again
      request.acceptedOnce = true;
      // fast-answers: the call's first response rode in the ack; read as a `response` frame is (a bad one is dropped).
      const { response } = parsed.value;
      // Only the call's own: an envelope naming another request is dropped as malformed.
      if (response !== undefined && (response as { id?: unknown } | null)?.id === request.id) deps.handleResponse(response);
      return;
    }
    // Once accepted, a refusal can only answer a duplicate re-send of the
    // same id; the original is running, so it is ignored. Likewise an
    // answer to an earlier send than the latest.
    if (request.phase === 'accepted' || emission !== request.emission) return;
    // Refused before the gateway ever took it: no call exists under its key.
    if (!request.acceptedOnce && !request.attachOnly) keyed.forgetKey(request);
    if (parsed.ok && !parsed.value.ok) settle(request, { error: fromWireError(parsed.value.error as WireError) });
    else if ((raw as { ok?: unknown } | null)?.ok === false) {
      fail(request, 'INTERNAL', `The gateway refused request "${request.type}" with an unreadable error`);
    }
    // Anything else is malformed: ignored; the deadline still applies.
  };

  const bytesOf = (request: InFlight): number => {
    if (request.payloadBytes === undefined) {
      try {
        request.payloadBytes = utf8Bytes(JSON.stringify(request.payload) ?? 'null', encoder);
      } catch {
        request.payloadBytes = 0; // socket.io's encoder reports what JSON cannot carry
      }
    }
    return request.payloadBytes;
  };

  const refuseOversize = (request: InFlight): boolean => {
    if (maxPayloadBytes === undefined || request.phase === 'accepted' || request.acceptedOnce || request.attachOnly || request.settled) return false;
    const bytes = bytesOf(request);
    if (bytes <= maxPayloadBytes) return false;
    fail(request, 'PAYLOAD_TOO_LARGE', `Request "${request.type}" has a payload of ${bytes} bytes; the gateway accepts at most ${maxPayloadBytes}.`);
    return true;
  };

  const emitRequest = (request: InFlight): void => {
    // Never sent: a frame above the gateway's limit would only cost the connection.
    if (refuseOversize(request)) return;
    if (request.key !== undefined && !keyed.maySend(request)) return;
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

  return {
    emitRequest,
    refuseOversize,
    setMaxPayloadBytes: (bytes) => {
      maxPayloadBytes = bytes;
    },
    maxPayloadBytes: () => maxPayloadBytes,
  };
};
