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
// and a browser reads) allocates no arrays for it. A check gets its value's
// parent path and key apart, and links them only to descend into an object or
// array (or to name an issue): a field's node made up front for every field
// was ≈ 10 % of parsing an ack with its answer.
type Path = { parent: Path; key: string | number } | undefined;
type Key = string | number | undefined;
const at = (parent: Path, key: Key): Path => (key === undefined ? parent : { parent, key });
const pathText = (path: Path): string => {
  const keys: (string | number)[] = [];
  for (let p = path; p !== undefined; p = p.parent) keys.push(p.key);
  return keys.length === 0 ? '(root)' : keys.reverse().join('.');
};
interface Issue {
  path: string;
  message: string;
}
/** Checks the value at `parent`.`key` (the root: both undefined), pushes what is wrong, returns the value as the zod schema would output it. */
type Check = (value: unknown, parent: Path, key: Key, issues: Issue[]) => unknown;

const typeName = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const issue = (issues: Issue[], parent: Path, key: Key, message: string): void => {
  issues.push({ path: pathText(at(parent, key)), message });
};
const expected = (issues: Issue[], parent: Path, key: Key, what: string, v: unknown): void =>
  issue(issues, parent, key, `Invalid input: expected ${what}, received ${typeName(v)}`);

const unknownValue: Check = (v) => v;

const string =
  (rule: { min?: number; max?: number; pattern?: RegExp; hint?: string } = {}): Check =>
  (v, parent, key, issues) => {
    if (typeof v !== 'string') return expected(issues, parent, key, 'string', v);
    if (rule.min !== undefined && v.length < rule.min) issue(issues, parent, key, `Too small: expected string to have >=${rule.min} characters`);
    if (rule.max !== undefined && v.length > rule.max) issue(issues, parent, key, `Too big: expected string to have <=${rule.max} characters`);
    if (rule.pattern !== undefined && !rule.pattern.test(v)) issue(issues, parent, key, rule.hint ?? `Invalid string: must match pattern ${rule.pattern}`);
    return v;
  };

const number =
  (rule: { int?: boolean; min?: number } = {}): Check =>
  (v, parent, key, issues) => {
    if (typeof v !== 'number' || Number.isNaN(v)) return expected(issues, parent, key, 'number', v);
    if (rule.int && !Number.isSafeInteger(v)) return expected(issues, parent, key, 'int', v);
    if (!rule.int && !Number.isFinite(v)) return expected(issues, parent, key, 'number', v);
    if (rule.min !== undefined && v < rule.min) issue(issues, parent, key, `Too small: expected number to be >=${rule.min}`);
    return v;
  };

const boolean: Check = (v, parent, key, issues) => (typeof v === 'boolean' ? v : expected(issues, parent, key, 'boolean', v));

const literal =
  (value: unknown): Check =>
  (v, parent, key, issues) =>
    v === value ? v : issue(issues, parent, key, `Invalid input: expected ${JSON.stringify(value)}`);

const array =
  (item: Check): Check =>
  (v, parent, key, issues) => {
    if (!Array.isArray(v)) return expected(issues, parent, key, 'array', v);
    const path = at(parent, key);
    return v.map((x, i) => item(x, path, i, issues));
  };

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const record: Check = (v, parent, key, issues) => (isPlainObject(v) ? { ...v } : expected(issues, parent, key, 'record', v));

/** `?` after a key makes it optional. Unknown keys are dropped, as zod's z.object does. */
const object = (shape: Record<string, Check>): Check => {
  // Read the shape once, not on every value checked.
  const fields = Object.entries(shape).map(([spec, check]) => {
    const optional = spec.endsWith('?');
    return { key: optional ? spec.slice(0, -1) : spec, optional, check };
  });
  return (v, parent, at_, issues) => {
    if (!isPlainObject(v)) return expected(issues, parent, at_, 'object', v);
    const path = at(parent, at_);
    const out: Record<string, unknown> = {};
    for (const { key, optional, check } of fields) {
      // Undefined first: it is what an absent optional field is, and settles it without hasOwn.
      const present = v[key] !== undefined && Object.hasOwn(v, key);
      if (!present && optional) continue;
      if (!present && check === unknownValue) {
        // zod 4: a key whose schema is z.unknown() must still be there.
        issue(issues, path, key, 'Invalid input: expected nonoptional, received undefined');
        continue;
      }
      out[key] = check(v[key], path, key, issues);
    }
    return out;
  };
};

/** Picks the variant by one key's value, like z.discriminatedUnion. */
const oneOf =
  (key: string, variants: Record<string, Check>): Check =>
  (v, parent, at_, issues) => {
    if (!isPlainObject(v)) return expected(issues, parent, at_, 'object', v);
    const variant = typeof v[key] === 'string' || typeof v[key] === 'boolean' ? variants[String(v[key])] : undefined;
    if (variant === undefined) return issue(issues, at(parent, at_), key, `Invalid input: expected one of ${Object.keys(variants).join(', ')}`);
    return variant(v, parent, at_, issues);
  };

const CODES = new Set<string>(errorCodes);
const wireError = object({
  code: (v, parent, key, issues) => (typeof v === 'string' && CODES.has(v) ? v : issue(issues, parent, key, 'Invalid option: expected a Warren error code')),
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
const responsesCheck: Check = (v, parent, key, issues) => {
  if (!Array.isArray(v)) return expected(issues, parent, key, 'array', v);
  if (v.length < 1) issue(issues, parent, key, 'Too small: expected array to have >=1 items');
  if (v.length > RESPONSES_FRAME.maxResponses) issue(issues, parent, key, `Too big: expected array to have <=${RESPONSES_FRAME.maxResponses} items`);
  const path = at(parent, key);
  return v.map((x, i) => responseCheck(x, path, i, issues));
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

const jsonSchema: Check = (v, parent, key, issues) => (typeof v === 'boolean' ? v : record(v, parent, key, issues));
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

// The frames of every call (its ack, its answer) read by a shortcut first:
// plain reads of known fields instead of the checks' field loop, whose
// dynamic keys and built-up output were most of the client's parsing
// (decision 0019, sixth round). A shortcut accepts only what the checks
// accept and returns what they return, in the same key order; anything else,
// valid or not, goes on to the checks, which also name what is wrong.
const own = (v: Record<string, unknown>, key: string): unknown => (Object.hasOwn(v, key) ? v[key] : undefined);
const isCount = (v: unknown, min: number): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= min;
const isRequestId = (v: unknown): v is string => typeof v === 'string' && REQUEST_ID_PATTERN.test(v);
const isShort = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;

const quickWorker = (v: unknown): Record<string, unknown> | undefined => {
  if (!isPlainObject(v)) return undefined;
  const instance = own(v, 'instance');
  const language = own(v, 'language');
  const service = own(v, 'service');
  const startedAt = own(v, 'startedAt');
  if (!isShort(instance, 200) || !isShort(language, 40) || (service !== undefined && !isShort(service, 200))) return undefined;
  if (startedAt !== undefined && !(typeof startedAt === 'number' && Number.isFinite(startedAt))) return undefined;
  const hop: Record<string, unknown> = { instance, language };
  if (service !== undefined) hop.service = service;
  if (startedAt !== undefined) hop.startedAt = startedAt;
  return hop;
};

/** A chunk or result envelope (an error goes to the checks). */
const quickResponse = (v: unknown): unknown => {
  if (!isPlainObject(v)) return undefined;
  const kind = own(v, 'kind');
  if (kind !== 'result' && kind !== 'chunk') return undefined;
  const id = own(v, 'id');
  const seq = own(v, 'seq');
  const attempt = own(v, 'attempt');
  const data = own(v, 'data');
  if (!isRequestId(id) || !isCount(seq, 0) || !isCount(attempt, 1) || data === undefined) return undefined;
  const worker = own(v, 'worker');
  if (worker === undefined) return { kind, id, seq, attempt, data };
  const hop = quickWorker(worker);
  return hop === undefined ? undefined : { kind, id, seq, attempt, worker: hop, data };
};

/** An ack that accepts (a refusal goes to the checks). */
const quickAck = (v: unknown): unknown => {
  if (!isPlainObject(v) || own(v, 'ok') !== true) return undefined;
  const id = own(v, 'id');
  const attached = own(v, 'attached');
  const response = own(v, 'response');
  const seq = own(v, 'seq');
  if (!isRequestId(id) || (attached !== undefined && typeof attached !== 'boolean') || (seq !== undefined && !isCount(seq, 1))) return undefined;
  const ack: Record<string, unknown> = { ok: true, id };
  if (attached !== undefined) ack.attached = attached;
  if (response !== undefined) ack.response = response;
  if (seq !== undefined) ack.seq = seq;
  return ack;
};

const parser =
  <T>(check: Check, what: string, quick?: (value: unknown) => unknown) =>
  (value: unknown): Parsed<T> => {
    const read = quick?.(value);
    if (read !== undefined) return { ok: true, value: read as T };
    const issues: Issue[] = [];
    const out = check(value, undefined, undefined, issues);
    if (issues.length === 0) return { ok: true, value: out as T };
    const summary = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
    return { ok: false, error: { code: 'INVALID_REQUEST', message: `Invalid ${what}: ${summary}`, details: { issues } } };
  };

export const parseResponse: (value: unknown) => Parsed<Response> = parser(responseCheck, 'response', quickResponse);
export const parseResponsesFrame: (value: unknown) => Parsed<Response[]> = parser(responsesCheck, 'responses frame');
export const parseAck: (value: unknown) => Parsed<Ack> = parser(ackCheck, 'ack', quickAck);
export const parseSessionFrame: (value: unknown) => Parsed<SessionFrame> = parser(sessionCheck, 'session');
export const parseQueuedFrame: (value: unknown) => Parsed<QueuedFrame> = parser(queuedCheck, 'queued frame');
export const parseRegistryAck: (value: unknown) => Parsed<RegistryAck> = parser(registryAckCheck, 'registry ack');
