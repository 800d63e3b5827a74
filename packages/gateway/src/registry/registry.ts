// The gateway's side of the registry: listens on the registry exchange,
// keeps the catalogue, expires silent instances, says loudly when live
// instances disagree on a type's schemas, and checks payloads against what
// was announced. Types nobody announced a payload schema for pass through.
import type { Logger } from 'pino';
import { invalidPayload, type Announcement, type Catalogue, type Issue, type WireError } from '@warren/protocol';
import type { Subscription, Transport } from '@warren/transport';
import { createCatalogue, type ApplyOutcome, type Variant } from './catalogue.ts';
import { createSchemaCompiler, type CompiledSchema } from './schema-check.ts';

export interface RegistryOptions {
  /** How often expired instances are dropped. @default 1000 */
  sweepIntervalMs?: number;
  now?: () => number;
}

export interface GatewayRegistry {
  /** Starts listening on the registry exchange. */
  start(transport: Transport, log: Logger): Promise<void>;
  catalogue(): Catalogue;
  /** INVALID_PAYLOAD naming every failing path, or null when the payload may go on. */
  checkPayload(type: string, payload: unknown): WireError | null;
  close(): Promise<void>;
}

export const REGISTRY_SWEEP_MS = 1000;

export const createGatewayRegistry = (options: RegistryOptions = {}): GatewayRegistry => {
  const now = options.now ?? Date.now;
  const sweepIntervalMs = options.sweepIntervalMs ?? REGISTRY_SWEEP_MS;
  if (!Number.isInteger(sweepIntervalMs) || sweepIntervalMs < 10) {
    throw new Error(`Invalid registry options:\n  - sweepIntervalMs: expected an integer ≥ 10, got ${String(sweepIntervalMs)}`);
  }
  const state = createCatalogue();
  const compile = createSchemaCompiler();
  let log: Logger | undefined;
  let subscription: Subscription | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  let reported = new Set<string>();
  const unusable = new Set<string>();
  // Per variant object: a catalogue change makes new variants, so stale entries just fall away.
  const compiledFor = new WeakMap<Variant, CompiledSchema>();
  const compiledOf = (variant: Variant & { payload: NonNullable<Variant['payload']> }) => {
    let compiled = compiledFor.get(variant);
    if (compiled === undefined) compiledFor.set(variant, (compiled = compile(variant.payload)));
    return compiled;
  };

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

  const checkPayload = (type: string, payload: unknown): WireError | null => {
    const view = state.view(type);
    if (view === undefined) return null;
    const issues: Issue[] = [];
    // Any live instance may get the request, so it must satisfy every variant.
    for (const variant of view.variants) {
      if (variant.payload === undefined) continue;
      const compiled = compiledOf(variant as Variant & { payload: NonNullable<Variant['payload']> });
      if (!compiled.ok) {
        if (!unusable.has(variant.key)) log?.warn({ type, reason: compiled.reason, instances: variant.instances }, 'registry: announced payload schema cannot be checked; passing payloads through');
        unusable.add(variant.key);
        continue;
      }
      for (const issue of compiled.check(payload) ?? []) {
        if (!issues.some((i) => i.path === issue.path && i.message === issue.message)) issues.push(issue);
      }
    }
    return issues.length === 0 ? null : invalidPayload(type, issues);
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
    checkPayload,
    async close() {
      clearInterval(timer);
      await subscription?.close();
    },
  };
};
