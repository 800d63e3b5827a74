// The live catalogue, as pure state: announcements in, instances out after
// their TTL, and a per-type view that groups instances by the schemas they
// announce. More than one group for a type is a conflict: it is reported,
// never merged. Times are the gateway's own clock, never the sender's.
import {
  PROTOCOL_VERSION,
  type Announce,
  type Announcement,
  type Catalogue,
  type CatalogueConflict,
  type CatalogueType,
  type JsonSchema,
} from '@warren/protocol';
import { canonicalJson } from './canonical.ts';

interface TypeSchemas {
  payload?: JsonSchema;
  chunk?: JsonSchema;
  result?: JsonSchema;
}

/** Instances of one type that announce the same schemas. */
interface Variant extends TypeSchemas {
  key: string;
  services: string[];
  instances: string[];
}

interface TypeView {
  type: string;
  description: string | undefined;
  services: string[];
  instances: string[];
  /** Distinct schema sets; instances that announce no schema at all are in none. */
  variants: Variant[];
  /** Some live instance consumes the type's fast-lane queue. */
  fast: boolean;
}

interface Instance {
  announce: Announce;
  lastSeenAt: number;
  expiresAt: number;
}

export type ApplyOutcome = 'joined' | 'refreshed' | 'changed' | 'left' | 'ignored';

const sorted = (values: Iterable<string>) => [...new Set(values)].sort();
const schemasOf = (t: TypeSchemas): TypeSchemas => {
  const out: TypeSchemas = {};
  if (t.payload !== undefined) out.payload = t.payload;
  if (t.chunk !== undefined) out.chunk = t.chunk;
  if (t.result !== undefined) out.result = t.result;
  return out;
};

export const createCatalogue = () => {
  const instances = new Map<string, Instance>();
  // A heartbeat already in flight when an instance withdrew must not revive it.
  const withdrawn = new Map<string, number>();
  let views = new Map<string, TypeView>();

  const rebuild = () => {
    const next = new Map<string, TypeView>();
    const ordered = [...instances.values()].sort((a, b) => (a.announce.instanceId < b.announce.instanceId ? -1 : 1));
    for (const { announce } of ordered) {
      for (const t of announce.types) {
        let view = next.get(t.type);
        if (!view) next.set(t.type, (view = { type: t.type, description: undefined, services: [], instances: [], variants: [], fast: false }));
        view.description ??= t.description;
        view.services = sorted([...view.services, announce.service]);
        view.instances.push(announce.instanceId);
        if (t.fast === true) view.fast = true;
        const schemas = schemasOf(t);
        if (Object.keys(schemas).length === 0) continue;
        const key = canonicalJson(schemas);
        let variant = view.variants.find((v) => v.key === key);
        if (!variant) view.variants.push((variant = { key, ...schemas, services: [], instances: [] }));
        variant.services = sorted([...variant.services, announce.service]);
        variant.instances.push(announce.instanceId);
      }
    }
    views = next;
  };

  const apply = (message: Announcement, at: number): ApplyOutcome => {
    const id = message.instanceId;
    if (message.kind === 'withdraw') {
      withdrawn.set(id, at + 60_000);
      if (!instances.delete(id)) return 'ignored';
      rebuild();
      return 'left';
    }
    if ((withdrawn.get(id) ?? 0) > at) return 'ignored';
    const previous = instances.get(id);
    instances.set(id, { announce: message, lastSeenAt: at, expiresAt: at + message.ttlMs });
    if (previous && canonicalJson(previous.announce.types) === canonicalJson(message.types)) return 'refreshed';
    rebuild();
    return previous ? 'changed' : 'joined';
  };

  /** Removes instances not heard from within their TTL; returns them. */
  const sweep = (at: number): Instance[] => {
    const expired = [...instances.values()].filter((i) => i.expiresAt <= at);
    for (const i of expired) instances.delete(i.announce.instanceId);
    for (const [id, until] of withdrawn) if (until <= at) withdrawn.delete(id);
    if (expired.length > 0) rebuild();
    return expired;
  };

  const conflicts = (): CatalogueConflict[] =>
    [...views.values()]
      .filter((v) => v.variants.length > 1)
      .map((v) => ({
        type: v.type,
        message: `${v.variants.length} different schema sets are announced for "${v.type}" by ${v.services.join(', ')}; payloads must satisfy all of them`,
        variants: v.variants.map(({ key: _key, ...variant }) => variant),
      }));

  const snapshot = (at: number): Catalogue => ({
    protocolVersion: PROTOCOL_VERSION,
    generatedAt: at,
    instances: [...instances.values()]
      .sort((a, b) => a.announce.service.localeCompare(b.announce.service) || a.announce.instanceId.localeCompare(b.announce.instanceId))
      .map(({ announce: a, lastSeenAt, expiresAt }) => ({
        service: a.service,
        instanceId: a.instanceId,
        language: a.language,
        sdkVersion: a.sdkVersion,
        concurrency: a.concurrency,
        heartbeatMs: a.heartbeatMs,
        ttlMs: a.ttlMs,
        startedAt: a.startedAt,
        lastSeenAt,
        expiresAt,
        types: a.types.map((t) => t.type),
      })),
    types: [...views.values()]
      .sort((a, b) => a.type.localeCompare(b.type))
      .map((v): CatalogueType => {
        const only = v.variants.length === 1 ? schemasOf(v.variants[0]!) : {};
        return {
          type: v.type,
          ...(v.description === undefined ? {} : { description: v.description }),
          ...only,
          services: v.services,
          instances: v.instances,
          conflict: v.variants.length > 1,
          fast: v.fast,
        };
      }),
    conflicts: conflicts(),
  });

  return {
    apply,
    sweep,
    snapshot,
    conflicts,
    /** The type's view, or undefined when no live instance serves it. */
    view: (type: string): TypeView | undefined => views.get(type),
    size: () => instances.size,
  };
};
