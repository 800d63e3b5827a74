// The frames a client receives (response, ack, session, registry ack), parsed
// without zod. The browser parses every frame on its hot path, and zod would
// be ~26 kB gzip of a page's bundle for four small shapes; this file imports
// nothing that does. The zod schemas in envelopes.ts and registry.ts stay the
// definition (they export the JSON Schemas other languages check against);
// test/frames.test.ts holds these parsers to the same vectors and to the zod
// schemas' verdicts and outputs.
import { errorCodes } from './errors.ts';
import { REQUEST_ID_PATTERN } from './topology.ts';
import type { Ack, QueuedFrame, Response, SessionFrame } from './envelopes.ts';
import { RESPONSES_FRAME } from './limits.ts';
import type { Parsed } from './parse.ts';
import type { RegistryAck } from './registry.ts';

// A path is a linked list built as the check descends and turned into text
// only when something is wrong: the hot path (every response a gateway relays
// and a browser reads) allocates no arrays for it.
type Path = { parent: Path; key: string | number } | undefined;
const at = (parent: Path, key: string | number): Path => ({ parent, key });
const pathText = (path: Path): string => {
  const keys: (string | number)[] = [];
  for (let p = path; p !== undefined; p = p.parent) keys.push(p.key);
  return keys.length === 0 ? '(root)' : keys.reverse().join('.');
};
interface Issue {
  path: string;
  message: string;
}
/** Checks a value, pushes what is wrong, returns the value as the zod schema would output it. */
type Check = (value: unknown, path: Path, issues: Issue[]) => unknown;

const typeName = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const issue = (issues: Issue[], path: Path, message: string): void => {
  issues.push({ path: pathText(path), message });
};
const expected = (issues: Issue[], path: Path, what: string, v: unknown): void =>
  issue(issues, path, `Invalid input: expected ${what}, received ${typeName(v)}`);

const unknownValue: Check = (v) => v;

const string =
  (rule: { min?: number; max?: number; pattern?: RegExp; hint?: string } = {}): Check =>
  (v, path, issues) => {
    if (typeof v !== 'string') return expected(issues, path, 'string', v);
    if (rule.min !== undefined && v.length < rule.min) issue(issues, path, `Too small: expected string to have >=${rule.min} characters`);
    if (rule.max !== undefined && v.length > rule.max) issue(issues, path, `Too big: expected string to have <=${rule.max} characters`);
    if (rule.pattern !== undefined && !rule.pattern.test(v)) issue(issues, path, rule.hint ?? `Invalid string: must match pattern ${rule.pattern}`);
    return v;
  };

const number =
  (rule: { int?: boolean; min?: number } = {}): Check =>
  (v, path, issues) => {
    if (typeof v !== 'number' || Number.isNaN(v)) return expected(issues, path, 'number', v);
    if (rule.int && !Number.isSafeInteger(v)) return expected(issues, path, 'int', v);
    if (!rule.int && !Number.isFinite(v)) return expected(issues, path, 'number', v);
    if (rule.min !== undefined && v < rule.min) issue(issues, path, `Too small: expected number to be >=${rule.min}`);
    return v;
  };

const boolean: Check = (v, path, issues) => (typeof v === 'boolean' ? v : expected(issues, path, 'boolean', v));

const literal =
  (value: unknown): Check =>
  (v, path, issues) =>
    v === value ? v : issue(issues, path, `Invalid input: expected ${JSON.stringify(value)}`);

const array =
  (item: Check): Check =>
  (v, path, issues) =>
    Array.isArray(v) ? v.map((x, i) => item(x, at(path, i), issues)) : expected(issues, path, 'array', v);

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const record: Check = (v, path, issues) => (isPlainObject(v) ? { ...v } : expected(issues, path, 'record', v));

/** `?` after a key makes it optional. Unknown keys are dropped, as zod's z.object does. */
const object = (shape: Record<string, Check>): Check => {
  // Read the shape once, not on every value checked.
  const fields = Object.entries(shape).map(([spec, check]) => {
    const optional = spec.endsWith('?');
    return { key: optional ? spec.slice(0, -1) : spec, optional, check };
  });
  return (v, path, issues) => {
    if (!isPlainObject(v)) return expected(issues, path, 'object', v);
    const out: Record<string, unknown> = {};
    for (const { key, optional, check } of fields) {
      const present = Object.hasOwn(v, key) && v[key] !== undefined;
      if (!present && optional) continue;
      if (!present && check === unknownValue) {
        // zod 4: a key whose schema is z.unknown() must still be there.
        issue(issues, at(path, key), 'Invalid input: expected nonoptional, received undefined');
        continue;
      }
      out[key] = check(v[key], at(path, key), issues);
    }
    return out;
  };
};

/** Picks the variant by one key's value, like z.discriminatedUnion. */
const oneOf =
  (key: string, variants: Record<string, Check>): Check =>
  (v, path, issues) => {
    if (!isPlainObject(v)) return expected(issues, path, 'object', v);
    const variant = typeof v[key] === 'string' || typeof v[key] === 'boolean' ? variants[String(v[key])] : undefined;
    if (variant === undefined) return issue(issues, at(path, key), `Invalid input: expected one of ${Object.keys(variants).join(', ')}`);
    return variant(v, path, issues);
  };

const CODES = new Set<string>(errorCodes);
const wireError = object({
  code: (v, path, issues) => (typeof v === 'string' && CODES.has(v) ? v : issue(issues, path, 'Invalid option: expected a Warren error code')),
  message: string(),
  'details?': record,
});

const requestId = string({ min: 1, max: 128, pattern: REQUEST_ID_PATTERN, hint: 'use letters, digits, _ . : -' });
// On seq 0 of each attempt: the worker that picked it up (envelopes.ts workerHopSchema; the hop timeline).
const workerHop = object({ instance: string({ max: 200 }), language: string({ max: 40 }), 'service?': string({ max: 200 }), 'startedAt?': number() });
const base = { id: requestId, seq: number({ int: true, min: 0 }), attempt: number({ int: true, min: 1 }), 'worker?': workerHop };

const responseCheck = oneOf('kind', {
  chunk: object({ kind: literal('chunk'), ...base, data: unknownValue }),
  result: object({ kind: literal('result'), ...base, data: unknownValue }),
  error: object({ kind: literal('error'), ...base, error: wireError }),
});

// A `responses` frame: 1 to RESPONSES_FRAME.maxResponses envelopes. The
// client reads each envelope on its own (a bad one is dropped, as a bad
// `response` frame is); this check is the frame's definition for the vectors.
const responsesCheck: Check = (v, path, issues) => {
  if (!Array.isArray(v)) return expected(issues, path, 'array', v);
  if (v.length < 1) issue(issues, path, 'Too small: expected array to have >=1 items');
  if (v.length > RESPONSES_FRAME.maxResponses) issue(issues, path, `Too big: expected array to have <=${RESPONSES_FRAME.maxResponses} items`);
  return v.map((x, i) => responseCheck(x, at(path, i), issues));
};

const ackCheck = oneOf('ok', {
  // `response` (fast-answers) is read on its own with parseResponse: a bad envelope does not make the ack bad.
  true: object({ ok: literal(true), id: requestId, 'attached?': boolean, 'response?': unknownValue, 'seq?': number({ int: true, min: 1 }) }),
  false: object({ ok: literal(false), 'id?': string(), error: wireError }),
});

const sessionCheck = object({
  sessionId: string(),
  token: string(),
  'limits?': object({ maxPayloadBytes: number({ int: true, min: 1 }) }),
  'capabilities?': array(string()),
});

const queuedCheck = object({ id: requestId, position: number({ int: true, min: 0 }) });

const jsonSchema: Check = (v, path, issues) => (typeof v === 'boolean' ? v : record(v, path, issues));
const strings = array(string());
const name = string({ min: 1, max: 200 });
const num = number();
const schemas = { 'payload?': jsonSchema, 'chunk?': jsonSchema, 'result?': jsonSchema };
const catalogueCheck = object({
  protocolVersion: num,
  generatedAt: num,
  instances: array(
    object({
      service: name,
      instanceId: name,
      language: string(),
      sdkVersion: string(),
      concurrency: num,
      heartbeatMs: num,
      ttlMs: num,
      startedAt: num,
      lastSeenAt: num,
      expiresAt: num,
      types: strings,
    }),
  ),
  types: array(object({ type: string(), 'description?': string(), ...schemas, services: strings, instances: strings, conflict: boolean })),
  conflicts: array(object({ type: string(), message: string(), variants: array(object({ services: strings, instances: strings, ...schemas })) })),
});

const registryAckCheck = oneOf('ok', {
  true: object({ ok: literal(true), catalogue: catalogueCheck }),
  false: object({ ok: literal(false), error: wireError }),
});

const parser =
  <T>(check: Check, what: string) =>
  (value: unknown): Parsed<T> => {
    const issues: Issue[] = [];
    const out = check(value, undefined, issues);
    if (issues.length === 0) return { ok: true, value: out as T };
    const summary = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
    return { ok: false, error: { code: 'INVALID_REQUEST', message: `Invalid ${what}: ${summary}`, details: { issues } } };
  };

export const parseResponse: (value: unknown) => Parsed<Response> = parser(responseCheck, 'response');
export const parseResponsesFrame: (value: unknown) => Parsed<Response[]> = parser(responsesCheck, 'responses frame');
export const parseAck: (value: unknown) => Parsed<Ack> = parser(ackCheck, 'ack');
export const parseSessionFrame: (value: unknown) => Parsed<SessionFrame> = parser(sessionCheck, 'session');
export const parseQueuedFrame: (value: unknown) => Parsed<QueuedFrame> = parser(queuedCheck, 'queued frame');
export const parseRegistryAck: (value: unknown) => Parsed<RegistryAck> = parser(registryAckCheck, 'registry ack');
