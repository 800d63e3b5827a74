// INVALID_PAYLOAD, built one way wherever a payload is checked (gateway,
// Node worker), so callers always get the failing field paths in
// `details.issues` and a message that names them.
import type { z } from 'zod';
import type { WireError } from './errors.ts';
import type { Issue, Parsed } from './parse.ts';

const joinPath = (path: readonly PropertyKey[]) => (path.length === 0 ? '(root)' : path.map(String).join('.'));

/**
 * Zod issues as `{ path, message }`. An unexpected key is reported at the
 * key's own path (zod puts it on the parent), so the caller sees which field.
 */
export const payloadIssues = (issues: readonly z.core.$ZodIssue[]): Issue[] =>
  issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: joinPath([...issue.path, key]), message: 'unexpected field' }))
      : [{ path: joinPath(issue.path), message: issue.message }],
  );

export const invalidPayload = (type: string, issues: Issue[], what = 'payload'): WireError => ({
  code: 'INVALID_PAYLOAD',
  message: `Invalid ${what} for "${type}": ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
  details: { issues },
});

/** Parses `value` with `schema`; a failure is INVALID_PAYLOAD naming every failing path. */
export const checkPayload = <T>(schema: z.ZodType<T>, type: string, value: unknown, what = 'payload'): Parsed<T> => {
  const result = schema.safeParse(value);
  return result.success ? { ok: true, value: result.data } : { ok: false, error: invalidPayload(type, payloadIssues(result.error.issues), what) };
};
