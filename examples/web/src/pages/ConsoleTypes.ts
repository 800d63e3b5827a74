// The console's request types: the demo's static list, merged with the live
// service registry (backend.services()), so any type a running worker
// announces can be picked, its payload pre-filled from its JSON Schema.
import type { Catalogue } from '@warren/client';
import type { RequestTypeInfo } from '../request-types.ts';

export interface ConsoleType {
  type: string;
  description: string;
  payload: unknown;
  /** Who serves it: from the registry when live, else the static list. */
  worker: string;
  /** Live instances serving it; undefined before the registry answered. */
  instances: number | undefined;
  conflict: boolean;
}

type Schema = Record<string, unknown>;
const isSchema = (value: unknown): value is Schema => value !== null && typeof value === 'object' && !Array.isArray(value);

/** A payload to start from: defaults, examples, required fields with placeholder values. */
export const exampleFromSchema = (schema: unknown, depth = 0): unknown => {
  if (!isSchema(schema) || depth > 6) return null;
  if (schema.default !== undefined) return schema.default;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  const options = (schema.anyOf ?? schema.oneOf) as unknown[] | undefined;
  if (Array.isArray(options)) return exampleFromSchema(options.find((o) => isSchema(o) && o.type !== 'null') ?? options[0], depth + 1);
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      const properties = isSchema(schema.properties) ? schema.properties : {};
      const required = new Set(Array.isArray(schema.required) ? schema.required : []);
      const out: Record<string, unknown> = {};
      for (const [key, prop] of Object.entries(properties)) {
        if (required.has(key) || (isSchema(prop) && prop.default !== undefined)) out[key] = exampleFromSchema(prop, depth + 1);
      }
      return out;
    }
    case 'array':
      return [];
    case 'string':
      return typeof schema.minLength === 'number' && schema.minLength > 0 ? 'text' : '';
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? schema.minimum : 0;
    case 'boolean':
      return false;
    default:
      return null;
  }
};

const LANGUAGES: Record<string, string> = { typescript: 'Node', python: 'Python' };

export const consoleTypes = (known: readonly RequestTypeInfo[], live: Catalogue | null): ConsoleType[] => {
  const languageOf = new Map((live?.instances ?? []).map((i) => [i.service, LANGUAGES[i.language] ?? i.language]));
  const fromRegistry = new Map((live?.types ?? []).map((t) => [t.type, t]));
  const merged: ConsoleType[] = known.map((info) => {
    const t = fromRegistry.get(info.type);
    return {
      type: info.type,
      description: t?.description ?? info.description,
      payload: info.payload,
      worker: t ? [...new Set(t.services.map((s) => languageOf.get(s) ?? s))].join(' + ') : info.worker,
      instances: live ? (t?.instances.length ?? 0) : undefined,
      conflict: t?.conflict ?? false,
    };
  });
  for (const t of live?.types ?? []) {
    if (known.some((info) => info.type === t.type)) continue;
    merged.push({
      type: t.type,
      description: t.description ?? 'Announced on the service registry.',
      payload: exampleFromSchema(t.payload),
      worker: [...new Set(t.services.map((s) => languageOf.get(s) ?? s))].join(' + '),
      instances: t.instances.length,
      conflict: t.conflict,
    });
  }
  return merged;
};
