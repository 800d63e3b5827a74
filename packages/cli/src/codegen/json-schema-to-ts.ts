// JSON Schema → a TypeScript type expression, for `warren codegen`. Covers
// what zod's toJSONSchema and Python's dataclass/TypedDict conversion emit
// (types, properties/required, items/prefixItems, enum/const, anyOf/oneOf/
// allOf, $ref into $defs/definitions, additionalProperties, descriptions).
// Anything it cannot express becomes `unknown`, never a wrong type.
import type { JsonSchema } from '@warren/protocol';

type Schema = Record<string, unknown>;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const isObject = (value: unknown): value is Schema => value !== null && typeof value === 'object' && !Array.isArray(value);

const literal = (value: unknown): string | undefined =>
  value === null || ['string', 'number', 'boolean'].includes(typeof value) ? JSON.stringify(value) : undefined;

const union = (parts: string[]): string => {
  const unique = [...new Set(parts)];
  if (unique.includes('unknown')) return 'unknown';
  const kept = unique.filter((p) => p !== 'never');
  return kept.length === 0 ? 'never' : kept.join(' | ');
};

// True when `|` or `&` appears outside brackets and strings: `a | b`, not `{ a: b | c }`.
const isCompound = (type: string): boolean => {
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < type.length; i++) {
    const c = type[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
    } else if (c === '"') quote = c;
    else if ('{[(<'.includes(c)) depth++;
    else if ('}])>'.includes(c)) depth--;
    else if ((c === '|' || c === '&') && depth === 0) return true;
  }
  return false;
};

const wrap = (type: string) => (isCompound(type) ? `(${type})` : type);

const comment = (text: unknown, pad: string): string =>
  typeof text === 'string' && text.trim() !== '' ? `${pad}/** ${text.trim().replace(/\*\//g, '*\\/').replace(/\n+/g, ' ')} */\n` : '';

/** Resolves `#/…` JSON pointers against the schema they appear in. */
const resolveRef = (root: Schema, ref: string): unknown => {
  if (!ref.startsWith('#')) return undefined;
  const parts = ref
    .slice(1)
    .split('/')
    .filter(Boolean)
    .map((p) => decodeURIComponent(p).replace(/~1/g, '/').replace(/~0/g, '~'));
  let node: unknown = root;
  for (const part of parts) node = isObject(node) ? node[part] : undefined;
  return node;
};

export const schemaToTs = (schema: JsonSchema | undefined, indent = ''): string => {
  if (schema === undefined || schema === true) return 'unknown';
  if (schema === false) return 'never';
  return convert(schema, schema, indent, []);
};

const convert = (schema: unknown, root: Schema, indent: string, refs: string[]): string => {
  if (schema === true || schema === undefined) return 'unknown';
  if (schema === false) return 'never';
  if (!isObject(schema)) return 'unknown';
  const nullable = schema.nullable === true ? ' | null' : '';
  const go = (s: unknown) => convert(s, root, indent, refs);

  if (typeof schema.$ref === 'string') {
    // A recursive schema cannot be inlined: the loop becomes unknown.
    if (refs.includes(schema.$ref)) return 'unknown';
    return convert(resolveRef(root, schema.$ref), root, indent, [...refs, schema.$ref]) + nullable;
  }
  if ('const' in schema) return (literal(schema.const) ?? 'unknown') + nullable;
  if (Array.isArray(schema.enum)) return union(schema.enum.map((v) => literal(v) ?? 'unknown')) + nullable;
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = schema[key];
    if (Array.isArray(options)) return union(options.map(go)) + nullable;
  }
  if (Array.isArray(schema.allOf)) {
    const parts = schema.allOf.map(go).filter((p) => p !== 'unknown');
    return (parts.length === 0 ? 'unknown' : parts.map(wrap).join(' & ')) + nullable;
  }
  const type = schema.type;
  if (Array.isArray(type)) return union(type.map((t) => convert({ ...schema, type: t }, root, indent, refs)));
  switch (type) {
    case 'string':
      return `string${nullable}`;
    case 'number':
    case 'integer':
      return `number${nullable}`;
    case 'boolean':
      return `boolean${nullable}`;
    case 'null':
      return 'null';
    case 'array':
      return arrayType(schema, go) + nullable;
    case 'object':
      return objectType(schema, root, indent, refs) + nullable;
    case undefined:
      if (isObject(schema.properties) || 'additionalProperties' in schema) return objectType(schema, root, indent, refs) + nullable;
      if ('items' in schema || 'prefixItems' in schema) return arrayType(schema, go) + nullable;
      return 'unknown';
    default:
      return 'unknown';
  }
};

const arrayType = (schema: Schema, go: (s: unknown) => string): string => {
  if (Array.isArray(schema.prefixItems)) {
    const head = schema.prefixItems.map(go);
    const rest = schema.items === false ? [] : [`...${wrap(go(schema.items))}[]`];
    return `[${[...head, ...rest].join(', ')}]`;
  }
  return `${wrap(go(schema.items))}[]`;
};

const objectType = (schema: Schema, root: Schema, indent: string, refs: string[]): string => {
  const properties = isObject(schema.properties) ? schema.properties : {};
  const required = new Set(Array.isArray(schema.required) ? schema.required.filter((r): r is string => typeof r === 'string') : []);
  const extra = schema.additionalProperties;
  const keys = Object.keys(properties);
  if (keys.length === 0) {
    if (extra === false) return 'Record<string, never>';
    return `Record<string, ${isObject(extra) ? convert(extra, root, indent, refs) : 'unknown'}>`;
  }
  const inner = `${indent}  `;
  const lines = keys.map((key) => {
    const prop = properties[key];
    const name = IDENTIFIER.test(key) ? key : JSON.stringify(key);
    const optional = required.has(key) ? '' : '?';
    return `${comment(isObject(prop) ? prop.description : undefined, inner)}${inner}${name}${optional}: ${convert(prop, root, inner, refs)};`;
  });
  // Declared properties may not fit an index signature's type, so extras are `unknown`.
  if (extra !== undefined && extra !== false) lines.push(`${inner}[key: string]: unknown;`);
  return `{\n${lines.join('\n')}\n${indent}}`;
};
