// The service registry: what workers announce on `ns.registry` (a fanout
// exchange), and the catalogue a gateway builds from it and serves at
// `GET /registry` and on the `registry` socket event. See packages/protocol/spec/v1/protocol.md.
import { z } from 'zod';
import { wireErrorSchema } from './envelopes.ts';
import { REQUEST_TYPE_PATTERN } from './topology.ts';

export const REGISTRY_DEFAULTS = {
  /** A worker announces itself this often. @default 5000 */
  heartbeatMs: 5_000,
  /** A gateway forgets an instance this long after its last announcement. @default 15000 */
  ttlMs: 15_000,
} as const;

const jsonSchema = z.union([z.record(z.string(), z.unknown()), z.boolean()]);
const name = z.string().min(1).max(200);

export const typeAnnouncementSchema = z.object({
  type: z.string().regex(REQUEST_TYPE_PATTERN),
  description: z.string().max(2000).optional(),
  /** JSON Schema of the payload as callers send it; absent = not checked. */
  payload: jsonSchema.optional(),
  /** JSON Schema of each chunk as callers receive it; absent = unknown. */
  chunk: jsonSchema.optional(),
  /** JSON Schema of the result; absent = unknown. */
  result: jsonSchema.optional(),
  /** This instance also consumes the type's fast-lane queue (docs/protocol.md, "The fast lane"). */
  fast: z.boolean().optional(),
});

const announceSchema = z.object({
  kind: z.literal('announce'),
  protocolVersion: z.number().int().positive(),
  service: name,
  /** Unique per process; a restarted worker is a new instance. */
  instanceId: name,
  /** 'typescript', 'python', … */
  language: z.string().min(1).max(50),
  sdkVersion: z.string().max(50),
  /** Handlers of one type this instance runs at once. */
  concurrency: z.number().int().positive(),
  heartbeatMs: z.number().int().positive(),
  /** Forget this instance if nothing more is heard from it for this long. */
  ttlMs: z.number().int().positive(),
  /** Epoch ms, the sender's clock (informational; receivers use their own). */
  startedAt: z.number(),
  sentAt: z.number(),
  types: z.array(typeAnnouncementSchema).max(1000),
});

const withdrawSchema = z.object({
  kind: z.literal('withdraw'),
  protocolVersion: z.number().int().positive(),
  service: name,
  instanceId: name,
  sentAt: z.number(),
});

export const announcementSchema = z.discriminatedUnion('kind', [announceSchema, withdrawSchema]);

export type TypeAnnouncement = z.infer<typeof typeAnnouncementSchema>;
export type Announce = z.infer<typeof announceSchema>;
export type Withdraw = z.infer<typeof withdrawSchema>;
/** A message on the registry exchange. */
export type Announcement = Announce | Withdraw;

const schemas = { payload: jsonSchema.optional(), chunk: jsonSchema.optional(), result: jsonSchema.optional() };

export const catalogueInstanceSchema = z.object({
  service: name,
  instanceId: name,
  language: z.string(),
  sdkVersion: z.string(),
  concurrency: z.number(),
  heartbeatMs: z.number(),
  ttlMs: z.number(),
  startedAt: z.number(),
  /** Gateway clock, epoch ms. */
  lastSeenAt: z.number(),
  expiresAt: z.number(),
  types: z.array(z.string()),
});

export const catalogueTypeSchema = z.object({
  type: z.string(),
  description: z.string().optional(),
  ...schemas,
  services: z.array(z.string()),
  instances: z.array(z.string()),
  /** Live instances disagree on the schemas; see `conflicts` (schemas are left out here). */
  conflict: z.boolean(),
  /** At least one live instance serves the type's fast lane (absent from older gateways). */
  fast: z.boolean().optional(),
});

export const catalogueConflictSchema = z.object({
  type: z.string(),
  message: z.string(),
  variants: z.array(z.object({ services: z.array(z.string()), instances: z.array(z.string()), ...schemas })),
});

export const catalogueSchema = z.object({
  protocolVersion: z.number(),
  generatedAt: z.number(),
  instances: z.array(catalogueInstanceSchema),
  types: z.array(catalogueTypeSchema),
  conflicts: z.array(catalogueConflictSchema),
});

export type CatalogueInstance = z.infer<typeof catalogueInstanceSchema>;
export type CatalogueType = z.infer<typeof catalogueTypeSchema>;
export type CatalogueConflict = z.infer<typeof catalogueConflictSchema>;
/** The live catalogue a gateway serves. */
export type Catalogue = z.infer<typeof catalogueSchema>;

/** The gateway's answer to the `registry` socket event. */
export const registryAckSchema = z.union([
  z.object({ ok: z.literal(true), catalogue: catalogueSchema }),
  z.object({ ok: z.literal(false), error: wireErrorSchema }),
]);
export type RegistryAck = z.infer<typeof registryAckSchema>;
