// Payload checks from announced JSON Schemas. The schema is turned back into
// a zod schema (z.fromJSONSchema) once and cached by its text, so every
// request of a type costs one safeParse. See docs/decisions/0008.
//
// Bounded: a check's cost follows the payload's size with a small constant,
// however many ways the payload is wrong. zod builds one issue object per
// failing value: an array of 100 000 empty objects costs it 200 000 issues, a
// second of work and garbage collection, and past ~150 000 issues from one
// field its own argument spread overflows the stack. So a payload is first
// checked with every array cut to its first PREFIX_ITEMS items; when that
// already fails, its issues are the answer (marked partial: the rest was not
// checked). Only a payload whose prefix passes is checked whole — and a valid
// payload is cheap for zod. (boundedCheck is the protocol's, shared with the
// Node worker SDK.)
import { z } from 'zod';
import { boundedCheck, createIssueList, payloadIssues, type IssueList, type JsonSchema } from '@warren/protocol';
import { canonicalJson } from './canonical.ts';

/** `null` when the value passes, else the first failing paths and their count. */
type SchemaCheck = (value: unknown) => IssueList | null;

type CompiledSchema = { ok: true; check: SchemaCheck } | { ok: false; reason: string };

// Announced schemas change rarely; the bound only stops a misbehaving worker
// that announces a new schema every heartbeat from growing memory.
const MAX_CACHED = 500;

const compile = (schema: JsonSchema): CompiledSchema => {
  if (schema === true) return { ok: true, check: () => null };
  if (schema === false) return { ok: true, check: () => ({ issues: [{ path: '(root)', message: 'no value is accepted' }], count: 1 }) };
  try {
    const zod = z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
    return {
      ok: true,
      check: (value) => {
        const result = zod.safeParse(value);
        return result.success ? null : payloadIssues(result.error.issues);
      },
    };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
};

export const createSchemaCompiler = () => {
  const cache = new Map<string, CompiledSchema>();
  return (schema: JsonSchema): CompiledSchema => {
    const key = canonicalJson(schema);
    let compiled = cache.get(key);
    if (compiled === undefined) {
      if (cache.size >= MAX_CACHED) cache.clear();
      compiled = compile(schema);
      cache.set(key, compiled);
    }
    return compiled;
  };
};

type SchemaCompiler = ReturnType<typeof createSchemaCompiler>;

/** One announced payload schema, named by its variant key. */
export interface VariantSchema {
  key: string;
  schema: JsonSchema;
}

export interface VariantsOutcome {
  /** Issues against every checkable variant (any live instance may get the request), or null. */
  issues: IssueList | null;
  /** Variants whose schema cannot be checked (they pass payloads through). */
  unusable: { key: string; reason: string }[];
}

/** Checks `payload` against each variant's schema, unbounded (see checkBounded). */
const checkVariants = (compile: SchemaCompiler, variants: readonly VariantSchema[], payload: unknown): VariantsOutcome => {
  const unusable: VariantsOutcome['unusable'] = [];
  const found: IssueList[] = [];
  for (const variant of variants) {
    const compiled = compile(variant.schema);
    if (!compiled.ok) {
      unusable.push({ key: variant.key, reason: compiled.reason });
      continue;
    }
    const issues = compiled.check(payload);
    if (issues !== null) found.push(issues);
  }
  if (found.length === 0) return { issues: null, unusable };
  if (found.length === 1) return { issues: found[0]!, unusable };
  // Several variants: union of their (already capped) issues; the count is the largest one's.
  const list = createIssueList();
  for (const f of found) for (const issue of f.issues) list.add(issue);
  return { issues: { issues: list.result().issues, count: Math.max(list.result().count, ...found.map((f) => f.count)) }, unusable };
};

/** checkVariants, bounded in work (see the header); inline and on the validation thread alike. */
export const checkBounded = (compile: SchemaCompiler, variants: readonly VariantSchema[], payload: unknown): VariantsOutcome => {
  const outcome = boundedCheck(
    payload,
    (v) => checkVariants(compile, variants, v),
    (r) => r.issues,
  );
  return 'unusable' in outcome ? outcome : { issues: outcome as IssueList, unusable: [] };
};
