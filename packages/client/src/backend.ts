// createBackend: wires one socket to the in-flight table, the connection
// store and the client logger. Socket event handlers never throw: a bad
// frame or a broken callback must not take the connection down.
import { createWarrenError, ERROR_CODES, EVENTS, isErrorCode, parseSessionFrame, type Catalogue, type ErrorCode } from '@warren/protocol';
import { createConnectionStore, type ConnectionStatus } from './connection-store.ts';
import { createClientLogger } from './logger.ts';
import { resolveBackendOptions, type BackendOptions } from './options.ts';
import type { RetainedCall } from './call-store.ts';
import { createInFlightTable, type AttachOptions, type RequestOptions } from './in-flight.ts';
import { createRequestFrames } from './request-frames.ts';
import { createResponseAcks } from './response-acks.ts';
import { requestCatalogue, type ServicesOptions } from './services.ts';
import { connectOptions, type SocketListener } from './socket.ts';
import { createStream, type StreamOptions } from './stream.ts';
import type { Backend, BackendCore, BackendTypeSource, RegistryReader, TypesFrom, Untyped, UntypedCalls } from './typed.ts';

export type { AnyBackend, Backend, BackendCore, RegistryReader } from './typed.ts';

const RETRY_DELAY_MS = { first: 250, max: 5000 } as const;
/** How often a failing WebSocket may ask the gateway whether it is refusing us. */
const PROBE_INTERVAL_MS = 10_000;

const guard =
  <Args extends unknown[]>(handler: (...args: Args) => void) =>
  (...args: Args): void => {
    try {
      handler(...args);
    } catch {
      // never throw into socket.io's event loop
    }
  };

/**
 * `createBackend<typeof contracts>({ url })`, `createBackend({ url, contracts })`
 * or `createBackend<BackendTypes>({ url })` (codegen) make a typed backend;
 * `createBackend({ url })` an untyped one. `contracts` is read for its type only.
 */
/** How long `close()` waits at most for the socket to flush and close. */
const CLOSE_FLUSH_MS = 1000;

export const createBackend = <T extends BackendTypeSource<T> = Untyped>(
  options: BackendOptions & { contracts?: T },
): Backend<TypesFrom<T>> & RegistryReader => {
  const config = resolveBackendOptions(options);
  let closed = false;
  let everConnected = false;
  // Set when the socket will not come back by itself; new calls fail fast.
  let refusal: { code: ErrorCode; message: string } | null = null;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let retryDelayMs: number = RETRY_DELAY_MS.first;

  const socket = config.connect(
    config.url,
    connectOptions(() => config.sessionStore.get(), config.token),
  );
  const store = createConnectionStore({ status: socket.connected ? 'connected' : 'connecting', sessionId: null });
  const isConnected = (): boolean => !closed && socket.connected;

  const logger = createClientLogger(
    {
      send: (entries) => {
        if (!isConnected()) return false;
        socket.emit(EVENTS.clientLog, { entries });
        return true;
      },
    },
    config.log,
  );

  const emit = (event: string, ...args: unknown[]): void => {
    socket.emit(event, ...args);
  };
  // Cumulative response acks (cumulative-acks): owed seqs ride on request frames, or go alone.
  const acks = createResponseAcks({ emit, isConnected });
  const inFlight = createInFlightTable({
    isConnected,
    emit,
    frames: createRequestFrames({ emit, isConnected, acks }),
    createId: config.createId,
    defaultTimeoutMs: config.defaultTimeoutMs,
    calls: config.callStore,
    onCallbackError: (error, requestId, callback) => {
      const message = error instanceof Error ? error.message : String(error);
      logger.error(`${callback} callback threw: ${message}`, { requestId });
      console.error(`[warren] ${callback} callback for request ${requestId} threw`, error);
    },
  });

  const waitingStatus = (): ConnectionStatus => (everConnected ? 'reconnecting' : 'connecting');

  // socket.io does not retry after the server kicked or refused us; we do,
  // with backoff, because a draining gateway kicks clients on purpose.
  const scheduleRetry = (): void => {
    if (retryTimer !== undefined || closed) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      if (!closed && !socket.connected) socket.connect();
    }, retryDelayMs);
    retryDelayMs = Math.min(retryDelayMs * 2, RETRY_DELAY_MS.max);
  };

  const goOffline = (code: ErrorCode, message: string, byGateway = false): void => {
    refusal = { code, message };
    store.update({ status: 'offline', ...(byGateway ? { refused: { code, message } } : {}) });
    inFlight.rejectAll(code, message);
  };

  const onConnect = guard(() => {
    everConnected = true;
    refusal = null;
    retryDelayMs = RETRY_DELAY_MS.first;
    clearTimeout(retryTimer);
    retryTimer = undefined;
    store.update({ status: 'connected', refused: undefined });
    inFlight.connected();
    logger.flush();
  });

  const onDisconnect = guard((reason: unknown) => {
    acks.reset(); // seqs are per socket: the next one's start again
    inFlight.disconnected();
    if (closed) return;
    if (reason === 'io client disconnect') {
      // Someone disconnected the injected socket by hand: nothing will reconnect it.
      goOffline('DISCONNECTED', 'The socket was disconnected by the client');
      return;
    }
    store.update({ status: 'reconnecting' });
    if (reason === 'io server disconnect' || socket.active === false) scheduleRetry();
  });

  // A WebSocket refused at the upgrade looks like any network error; ask why,
  // at most every PROBE_INTERVAL_MS, and stop for good if the gateway says no.
  let lastProbeAt = -Infinity;
  const probeRefusal = (): void => {
    const probe = config.refusalProbe;
    if (probe === undefined || Date.now() - lastProbeAt < PROBE_INTERVAL_MS) return;
    lastProbeAt = Date.now();
    probe(config.url).then(
      (refused) => {
        if (refused === null || closed || socket.connected) return;
        socket.disconnect(); // ends socket.io's own reconnect loop
        goOffline(refused.code, `The gateway refused the connection: ${refused.message}`, true);
      },
      () => {},
    );
  };

  const onConnectError = guard((error: unknown) => {
    if (closed) return;
    if (socket.active !== false) {
      store.update({ status: waitingStatus() }); // socket.io retries by itself
      probeRefusal();
      return;
    }
    // Refused by gateway middleware: retry only when its code says it may help.
    const code = (error as { data?: { code?: unknown } } | null)?.data?.code;
    if (isErrorCode(code) && ERROR_CODES[code].retryable) {
      store.update({ status: waitingStatus() });
      scheduleRetry();
      return;
    }
    const reason = error instanceof Error ? error.message : 'unknown reason';
    goOffline(isErrorCode(code) ? code : 'DISCONNECTED', `The gateway refused the connection: ${reason}`, true);
  });

  const onSession = guard((raw: unknown) => {
    const parsed = parseSessionFrame(raw);
    if (!parsed.ok) return;
    const { sessionId, token, limits, capabilities } = parsed.value;
    inFlight.setMaxPayloadBytes(limits?.maxPayloadBytes);
    // Keyed calls wait for this: an older gateway lists none, and would run them without their key.
    inFlight.setCapabilities(capabilities ?? []);
    try {
      config.sessionStore.set(token);
    } catch {
      // a custom store failing only costs the next resume
    }
    const previous = store.getSnapshot().sessionId;
    if (previous !== null && previous !== sessionId) inFlight.sessionLost();
    store.update({ sessionId });
  });

  // Malformed or unexpected responses are dropped; the others still count.
  const handleOne = (raw: unknown): void => {
    try {
      inFlight.handleResponse(raw);
    } catch {
      // dropped
    }
  };
  // Always acked, so the gateway can settle the broker messages: by the
  // frame's ack callback, or (cumulative-acks) by its seq, acknowledged later.
  const ackFrame = (ack: unknown): void => {
    try {
      if (typeof ack === 'function') (ack as () => void)();
      else acks.received(ack);
    } catch {
      // nothing to do
    }
  };
  const onResponse = (raw: unknown, ack?: unknown): void => {
    handleOne(raw);
    ackFrame(ack);
  };
  // A `responses` frame (capability response-batches): each envelope by the
  // same path as a `response` frame, in order, then one ack for all of them.
  const onResponses = (raw: unknown, ack?: unknown): void => {
    if (Array.isArray(raw)) for (const response of raw) handleOne(response);
    ackFrame(ack);
  };

  const onQueued = guard((raw: unknown) => inFlight.handleQueued(raw));

  const handlers: Array<[string, SocketListener]> = [
    ['connect', onConnect],
    ['disconnect', onDisconnect],
    ['connect_error', onConnectError],
    [EVENTS.session, onSession],
    [EVENTS.response, onResponse],
    [EVENTS.responses, onResponses],
    [EVENTS.queued, onQueued],
  ];
  for (const [event, handler] of handlers) socket.on(event, handler);

  const startCall = <Result, Chunk>(
    type: string,
    payload: unknown,
    requestOptions: RequestOptions<Chunk> | undefined,
    mode: 'run' | 'attach',
  ): Promise<Result> => {
    if (closed) return Promise.reject(createWarrenError('DISCONNECTED', 'The backend was closed'));
    if (refusal !== null) return Promise.reject(createWarrenError(refusal.code, refusal.message));
    return inFlight.start<Result, Chunk>(type, payload, requestOptions, mode);
  };
  const makeBackendRequest = <Result = unknown, Chunk = unknown>(type: string, payload?: unknown, requestOptions?: RequestOptions<Chunk>): Promise<Result> =>
    startCall<Result, Chunk>(type, payload, requestOptions, 'run');

  const attach = <Result = unknown, Chunk = unknown>(type: string, key: string, attachOptions: AttachOptions<Chunk> = {}): Promise<Result> => {
    if (typeof key !== 'string') return Promise.reject(createWarrenError('INVALID_REQUEST', `attach needs a key, got ${String(key)}`));
    return startCall<Result, Chunk>(type, null, { ...attachOptions, key }, 'attach');
  };

  const retainedCall = (key: string): RetainedCall | undefined => {
    try {
      return config.callStore.get(key);
    } catch {
      return undefined;
    }
  };
  const forget = (key: string): void => {
    try {
      config.callStore.delete(key);
    } catch {
      // a custom store failing costs a useless attach later (answered EXPIRED)
    }
  };

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    if (closing) return closing;
    logger.close(); // last batch goes out before the socket does
    acks.flush(); // so does the ack of what was received: the gateway settles it
    inFlight.rejectAll('DISCONNECTED', 'The backend was closed', { cancel: true });
    closed = true;
    acks.reset();
    clearTimeout(retryTimer);
    for (const [event, handler] of handlers) socket.off(event, handler);
    // The engine closes once it has flushed what was written before the
    // disconnect (a cancel sent by rejectAll above): a process that exits
    // sooner drops it, and the worker runs on.
    const engine = socket.io?.engine;
    closing =
      engine === undefined || engine.readyState === 'closed'
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            const cap = setTimeout(resolve, CLOSE_FLUSH_MS);
            engine.once('close', () => {
              clearTimeout(cap);
              resolve();
            });
          });
    try {
      socket.disconnect();
    } catch {
      // already gone
    }
    store.update({ status: 'offline' });
    return closing;
  };

  const services = (servicesOptions?: ServicesOptions): Promise<Catalogue> =>
    requestCatalogue(
      {
        emit: (event, body, ack) => {
          socket.emit(event, body, ack);
        },
        refusal: () =>
          closed ? createWarrenError('DISCONNECTED', 'The backend was closed') : refusal === null ? null : createWarrenError(refusal.code, refusal.message),
      },
      servicesOptions,
    );

  const calls: UntypedCalls = {
    makeBackendRequest,
    attach,
    stream: <Chunk = unknown, Result = unknown>(type: string, payload?: unknown, streamOptions?: StreamOptions) =>
      createStream<Chunk, Result>((opts) => makeBackendRequest<Result, Chunk>(type, payload, opts), streamOptions),
  };
  const backend: BackendCore & RegistryReader = {
    services,
    status: () => store.getSnapshot().status,
    subscribe: store.subscribe,
    getSnapshot: store.getSnapshot,
    close,
    retainedCall,
    forget,
    logger: { debug: logger.debug, info: logger.info, warn: logger.warn, error: logger.error, flush: logger.flush },
  };
  // One runtime object serves every typing: the types only narrow what compiles.
  return { ...backend, ...calls } as unknown as Backend<TypesFrom<T>> & RegistryReader;
};
