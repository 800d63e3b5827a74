// Payload checks from announced JSON Schemas. The schema is turned back into
// a zod schema (z.fromJSONSchema) once and cached by its text, so every
// request of a type costs one safeParse. See docs/decisions/0008.
import { z } from 'zod';
import { payloadIssues, type Issue, type JsonSchema } from '@warren/protocol';
import { canonicalJson } from './canonical.ts';

/** `null` when the value passes, else the failing paths. */
export type SchemaCheck = (value: unknown) => Issue[] | null;

export type CompiledSchema = { ok: true; check: SchemaCheck } | { ok: false; reason: string };

// Announced schemas change rarely; the bound only stops a misbehaving worker
// that announces a new schema every heartbeat from growing memory.
const MAX_CACHED = 500;

const compile = (schema: JsonSchema): CompiledSchema => {
  if (schema === true) return { ok: true, check: () => null };
  if (schema === false) return { ok: true, check: () => [{ path: '(root)', message: 'no value is accepted' }] };
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
