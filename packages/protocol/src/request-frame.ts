// The client's `request` frame, parsed without zod: the gateway parses one
// per request, and zod's safeParse was 6–9 % of its CPU under echo load
// (decisions 0015, 0016; issue 16). requestFrameSchema (envelopes.ts) stays
// the definition and exports the JSON Schema; test/request-frame.test.ts
// holds this parser to it on every request vector and on thousands of
// generated frames: same verdict, same output (keys and their order), and the
// same issue text, which reaches clients in INVALID_REQUEST messages.
//
// The common case — every field well-formed — is checked inline; issues are
// only worked out once something is wrong, with zod 4's wording and order
// (fields in shape order; within one field, zod's checks in order).
import type { RequestFrame } from './envelopes.ts';
import { MAX_TIMEOUT_MS } from './events.ts';
import type { Issue, Parsed } from './parse.ts';
import { REQUEST_ID_PATTERN, REQUEST_TYPE_PATTERN } from './topology.ts';

/** zod's name for what it received (util.parsedType, then the English locale's display name). */
const received = (v: unknown): string => {
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : Number.isFinite(v) ? 'number' : String(v);
  if (typeof v !== 'object') return typeof v;
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (Object.getPrototypeOf(v) !== Object.prototype && 'constructor' in v && v.constructor) return (v.constructor as { name: string }).name;
  return 'object';
};
const invalidType = (expected: string, v: unknown) => `Invalid input: expected ${expected}, received ${received(v)}`;

/** A string's length as zod measures it: in code points (a surrogate pair is one). */
const codePoints = (s: string): number => {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    if ((s.charCodeAt(i) & 0xfc00) === 0xd800 && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n--;
      i++;
    }
  }
  return n;
};

const sized = (v: unknown) => (Array.isArray(v) ? 'array' : typeof v === 'string' ? 'string' : 'unknown');
const UNITS: Record<string, string> = { array: 'items', string: 'characters' };
const bound = (big: boolean, v: unknown, limit: number) => {
  const origin = sized(v);
  const unit = UNITS[origin];
  const what = `${big ? 'Too big' : 'Too small'}: expected ${origin}`;
  return unit === undefined ? `${what} to be ${big ? '<=' : '>='}${limit}` : `${what} to have ${big ? '<=' : '>='}${limit} ${unit}`;
};

/**
 * A string checked as zod checks it: the type, then each rule in order; a
 * wrong type skips the pattern but (zod's length checks run on anything
 * with a `length`) not the length rules.
 */
const stringIssues = (path: string, v: unknown, issues: Issue[], rule: { min?: number; max?: number; pattern?: RegExp; hint?: string }) => {
  const isString = typeof v === 'string';
  if (!isString) issues.push({ path, message: invalidType('string', v) });
  const units = v === null || v === undefined ? undefined : (v as { length?: number }).length;
  if (units !== undefined) {
    if (rule.min !== undefined) {
      const length = isString && units >= rule.min && units < rule.min * 2 ? codePoints(v) : units;
      if (!(length >= rule.min)) issues.push({ path, message: bound(false, v, rule.min) });
    }
    if (rule.max !== undefined) {
      const length = isString && units > rule.max ? codePoints(v) : units;
      if (!(length <= rule.max)) issues.push({ path, message: bound(true, v, rule.max) });
    }
  }
  if (isString && rule.pattern !== undefined && !rule.pattern.test(v)) issues.push({ path, message: rule.hint! });
};

const ID_RULE = { min: 1, max: 128, pattern: REQUEST_ID_PATTERN, hint: 'use letters, digits, _ . : -' };
const TYPE_RULE = { pattern: REQUEST_TYPE_PATTERN, hint: 'a letter, then up to 99 letters, digits, _ . -' };

/** z.number().int().positive().max(MAX_TIMEOUT_MS): a non-integer stops there; a safe-range miss does not. */
const timeoutIssues = (v: unknown, issues: Issue[]) => {
  const path = 'timeoutMs';
  if (typeof v !== 'number' || !Number.isFinite(v)) return void issues.push({ path, message: invalidType('number', v) });
  if (!Number.isInteger(v)) return void issues.push({ path, message: invalidType('int', v) });
  if (v > Number.MAX_SAFE_INTEGER) issues.push({ path, message: `Too big: expected int to be <=${Number.MAX_SAFE_INTEGER}` });
  if (v < Number.MIN_SAFE_INTEGER) issues.push({ path, message: `Too small: expected int to be >=${Number.MIN_SAFE_INTEGER}` });
  if (v <= 0) issues.push({ path, message: 'Too small: expected number to be >0' });
  if (v > MAX_TIMEOUT_MS) issues.push({ path, message: `Too big: expected number to be <=${MAX_TIMEOUT_MS}` });
};

const isTimeout = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v > 0 && v <= MAX_TIMEOUT_MS;
const isTraceparent = (v: unknown) => typeof v === 'string' && (v.length <= 128 || codePoints(v) <= 128);
// The patterns bound the length themselves (id: 1 to 128 characters).
const isRequestId = (v: unknown): v is string => typeof v === 'string' && REQUEST_ID_PATTERN.test(v);

/** Everything wrong with a frame whose fast check failed, as zod lists it. */
const issuesOf = (v: Record<string, unknown>): Issue[] => {
  const issues: Issue[] = [];
  stringIssues('id', v.id, issues, ID_RULE);
  stringIssues('type', v.type, issues, TYPE_RULE);
  if (v.timeoutMs !== undefined) timeoutIssues(v.timeoutMs, issues);
  if (v.traceparent !== undefined) stringIssues('traceparent', v.traceparent, issues, { max: 128 });
  if (v.key !== undefined) stringIssues('key', v.key, issues, ID_RULE);
  if (v.attach !== undefined && typeof v.attach !== 'boolean') issues.push({ path: 'attach', message: invalidType('boolean', v.attach) });
  if (v.fast !== undefined && typeof v.fast !== 'boolean') issues.push({ path: 'fast', message: invalidType('boolean', v.fast) });
  return issues;
};

/**
 * Same as schemaParser(requestFrameSchema, 'request'): unknown keys dropped,
 * `payload` null when absent, an optional key present as `undefined` kept as
 * `undefined` (zod 4 keeps it), keys in the schema's order.
 */
export const parseRequestFrame = (value: unknown): Parsed<RequestFrame> => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const issues = [{ path: '(root)', message: invalidType('object', value) }];
    return { ok: false, error: { code: 'INVALID_REQUEST', message: `Invalid request: (root): ${issues[0]!.message}`, details: { issues } } };
  }
  const v = value as Record<string, unknown>;
  const { id, type, payload, timeoutMs, traceparent, key, attach, fast } = v;
  if (
    !isRequestId(id) ||
    typeof type !== 'string' ||
    !REQUEST_TYPE_PATTERN.test(type) ||
    (timeoutMs !== undefined && !isTimeout(timeoutMs)) ||
    (traceparent !== undefined && !isTraceparent(traceparent)) ||
    (key !== undefined && !isRequestId(key)) ||
    (attach !== undefined && typeof attach !== 'boolean') ||
    (fast !== undefined && typeof fast !== 'boolean')
  ) {
    const issues = issuesOf(v);
    const summary = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
    return { ok: false, error: { code: 'INVALID_REQUEST', message: `Invalid request: ${summary}`, details: { issues } } };
  }
  const out: RequestFrame = { id, type, payload: payload === undefined ? null : payload };
  if ('timeoutMs' in v) out.timeoutMs = timeoutMs as number | undefined;
  if ('traceparent' in v) out.traceparent = traceparent as string | undefined;
  if ('key' in v) out.key = key as string | undefined;
  if ('attach' in v) out.attach = attach as boolean | undefined;
  if ('fast' in v) out.fast = fast as boolean | undefined;
  return { ok: true, value: out };
};
