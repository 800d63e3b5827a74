// The gateway's side of the registry: listens on the registry exchange,
// keeps the catalogue, expires silent instances, says loudly when live
// instances disagree on a type's schemas, and checks payloads against what
// was announced (validatePayload: the built-in plugin that refuses a payload
// breaking it, before anything is published). Types nobody announced a
// payload schema for pass through.
import type { Logger } from 'pino';
import { createWarrenError, invalidPayload, type Announcement, type Catalogue, type WireError } from '@warren/protocol';
import type { RegistryTransport, Subscription } from '@warren/transport';
import type { GatewayPlugin } from '../plugins/types.ts';
import { createCatalogue, type ApplyOutcome } from './catalogue.ts';
import { payloadText } from '../payload-text.ts';
import { createOffThreadCheck } from './off-thread-check.ts';
import { checkBounded, createSchemaCompiler, type VariantSchema, type VariantsOutcome } from './schema-check.ts';

export interface RegistryOptions {
  /** How often expired instances are dropped. @default 1000 */
  sweepIntervalMs?: number;
  now?: () => number;
}

export interface GatewayRegistry {
  /** Starts listening on the registry exchange. */
  start(transport: RegistryTransport, log: Logger): Promise<void>;
  catalogue(): Catalogue;
  /** A live instance serves the type's fast lane: a `fast` request may take it (else it goes the durable way). */
  fastCapable(type: string): boolean;
  /** INVALID_PAYLOAD naming the first failing paths (with their count), or null when the payload may go on. Checks on the calling thread. */
  checkPayload(type: string, payload: unknown): WireError | null;
  /**
   * The same check, for a request of `bytes` bytes (its payload as JSON):
   * small payloads inline, larger ones on the validation thread, so no
   * payload blocks the event loop for long.
   */
  validate(type: string, payload: unknown, bytes: number): Promise<WireError | null>;
  close(): Promise<void>;
}

export const REGISTRY_SWEEP_MS = 1000;
/** Payloads up to this size (JSON bytes) are checked inline: a few milliseconds at worst. */
const INLINE_CHECK_BYTES = 4 * 1024;

export const createGatewayRegistry = (options: RegistryOptions = {}): GatewayRegistry => {
  const now = options.now ?? Date.now;
  const sweepIntervalMs = options.sweepIntervalMs ?? REGISTRY_SWEEP_MS;
  if (!Number.isInteger(sweepIntervalMs) || sweepIntervalMs < 10) {
    throw new Error(`Invalid registry options:\n  - sweepIntervalMs: expected an integer ≥ 10, got ${String(sweepIntervalMs)}`);
  }
  const state = createCatalogue();
  const compile = createSchemaCompiler();
  const offThread = createOffThreadCheck();
  let log: Logger | undefined;
  let subscription: Subscription | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  let reported = new Set<string>();
  const unusable = new Set<string>();

  // Conflicts are logged once when they appear and once when they end.
  const reportConflicts = () => {
    const current = new Map(state.conflicts().map((c) => [`${c.type}\u0000${JSON.stringify(c.variants.map((v) => v.instances))}`, c]));
    for (const [key, conflict] of current) {
      if (!reported.has(key)) log?.error({ type: conflict.type, variants: conflict.variants }, `registry conflict: ${conflict.message}`);
    }
    for (const key of reported) {
      const type = key.split('\u0000')[0];
      if (![...current.values()].some((c) => c.type === type)) log?.info({ type }, 'registry conflict resolved');
    }
    reported = new Set(current.keys());
  };

  const onMessage = (message: Announcement) => {
    const outcome: ApplyOutcome = state.apply(message, now());
    if (outcome === 'refreshed' || outcome === 'ignored') return;
    const fields = { service: message.service, instanceId: message.instanceId };
    if (outcome === 'left') log?.info(fields, 'registry: instance withdrew');
    else if (message.kind === 'announce') {
      log?.info({ ...fields, language: message.language, types: message.types.map((t) => t.type) }, `registry: instance ${outcome}`);
    }
    reportConflicts();
  };

  const sweep = () => {
    const expired = state.sweep(now());
    for (const { announce, lastSeenAt } of expired) {
      log?.warn({ service: announce.service, instanceId: announce.instanceId, silentMs: now() - lastSeenAt }, 'registry: instance expired');
    }
    if (expired.length > 0) reportConflicts();
  };

  // Any live instance may get the request, so it must satisfy every variant.
  const schemasOf = (type: string): VariantSchema[] =>
    (state.view(type)?.variants ?? []).flatMap((v) => (v.payload === undefined ? [] : [{ key: v.key, schema: v.payload }]));

  const outcomeToError = (type: string, outcome: VariantsOutcome): WireError | null => {
    for (const { key, reason } of outcome.unusable) {
      if (!unusable.has(key))
        log?.warn({ type, reason: reason.slice(0, 500) }, 'registry: announced payload schema cannot be checked; passing payloads through');
      unusable.add(key);
    }
    return outcome.issues === null ? null : invalidPayload(type, outcome.issues);
  };

  const checkPayload = (type: string, payload: unknown): WireError | null => {
    const variants = schemasOf(type);
    return variants.length === 0 ? null : outcomeToError(type, checkBounded(compile, variants, payload));
  };

  const validate = async (type: string, payload: unknown, bytes: number): Promise<WireError | null> => {
    const variants = schemasOf(type);
    if (variants.length === 0) return null;
    if (bytes <= INLINE_CHECK_BYTES) return outcomeToError(type, checkBounded(compile, variants, payload));
    return outcomeToError(type, await offThread.check(variants, payloadText(payload)));
  };

  return {
    async start(transport, logger) {
      log = logger.child({ component: 'registry' });
      subscription = await transport.consumeAnnouncements(onMessage);
      timer = setInterval(sweep, sweepIntervalMs);
      timer.unref?.();
    },
    catalogue: () => {
      sweep(); // never serve an instance past its TTL, whatever the timer's phase
      return state.snapshot(now());
    },
    fastCapable: (type) => state.view(type)?.fast === true,
    checkPayload,
    validate,
    async close() {
      clearInterval(timer);
      offThread.close();
      await subscription?.close();
    },
  };
};

/**
 * The plugin that refuses a payload breaking the schema its workers announced.
 * Runs after the built-ins (auth, limits), so a bad payload still counts
 * against a caller.
 */
export const validatePayload = (registry: Pick<GatewayRegistry, 'validate'>): GatewayPlugin => {
  if (typeof registry?.validate !== 'function') throw new Error('validatePayload: expected the gateway registry');
  return {
    name: 'validatePayload',
    async onRequest(ctx, next) {
      if (ctx.attachOnly) return next(); // no payload: it only reads a call that passed this check when it was sent
      const error = await registry.validate(ctx.type, ctx.payload, ctx.payloadBytes);
      if (error !== null) {
        // Issues are capped (MAX_REPORTED_ISSUES), so this line stays small.
        ctx.log.info({ issues: error.details?.issues, issueCount: error.details?.issueCount }, 'payload does not match the announced schema');
        throw createWarrenError(error.code, error.message, error.details === undefined ? {} : { details: error.details });
      }
      await next();
    },
  };
};
