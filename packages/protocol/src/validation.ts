// INVALID_PAYLOAD, built one way wherever a payload is checked (gateway,
// Node worker), so callers always get the failing field paths in
// `details.issues` and a message that names them. A payload can fail in as
// many places as it has values (an array of 100 000 empty objects, 200 000
// issues), so only the first MAX_REPORTED_ISSUES are reported, each cut to a
// bounded length, with the total in `details.issueCount`: the answer, the
// log line and the work to build them stay small whatever the payload.
import type { z } from 'zod';
import type { WireError } from './errors.ts';
import { MAX_ISSUE_TEXT, MAX_REPORTED_ISSUES } from './limits.ts';
import { issuePath, type Issue, type Parsed } from './parse.ts';
/** Issues named in the error's message (all reported ones are in details). */
const NAMED_IN_MESSAGE = 5;

const clip = (text: string) => (text.length > MAX_ISSUE_TEXT ? `${text.slice(0, MAX_ISSUE_TEXT - 1)}…` : text);
const joinPath = (path: readonly PropertyKey[]) => clip(issuePath(path));

/** The first `max` issues and how many there were in all (de-duplicated by path and message, in linear time). */
export interface IssueList {
  issues: Issue[];
  count: number;
  /** Only part of the payload was checked (it failed early): `count` is a lower bound. */
  partial?: boolean;
}

/** Collects issues: keeps the first `max` distinct ones, counts every distinct one. */
export const createIssueList = (max = MAX_REPORTED_ISSUES) => {
  const seen = new Set<string>();
  const issues: Issue[] = [];
  return {
    add(issue: Issue) {
      const key = `${issue.path}\u0000${issue.message}`;
      if (seen.has(key)) return;
      seen.add(key);
      if (issues.length < max) issues.push({ path: clip(issue.path), message: clip(issue.message) });
    },
    result: (): IssueList => ({ issues, count: seen.size }),
  };
};

/**
 * Zod issues as `{ path, message }`, the first `max` of them, with the total.
 * An unexpected key is reported at the key's own path (zod puts it on the
 * parent), so the caller sees which field.
 */
export const payloadIssues = (zodIssues: readonly z.core.$ZodIssue[], max = MAX_REPORTED_ISSUES): IssueList => {
  const list = createIssueList(max);
  for (const issue of zodIssues) {
    if (issue.code === 'unrecognized_keys') for (const key of issue.keys) list.add({ path: joinPath([...issue.path, key]), message: 'unexpected field' });
    else list.add({ path: joinPath(issue.path), message: issue.message });
  }
  return list.result();
};

export const invalidPayload = (type: string, found: IssueList | Issue[], what = 'payload'): WireError => {
  const { issues, count, partial = false } = Array.isArray(found) ? { issues: found.slice(0, MAX_REPORTED_ISSUES), count: found.length } : found;
  const named = issues
    .slice(0, NAMED_IN_MESSAGE)
    .map((i) => `${clip(i.path)}: ${clip(i.message)}`)
    .join('; ');
  const more = partial
    ? ` (${count} found in the part checked; the rest of the payload was not checked)`
    : count > NAMED_IN_MESSAGE
      ? ` (and ${count - NAMED_IN_MESSAGE} more; ${count} in all)`
      : '';
  return {
    code: 'INVALID_PAYLOAD',
    message: `Invalid ${what} for "${clip(type)}": ${named}${more}`,
    details: { issues: issues.map((i) => ({ path: clip(i.path), message: clip(i.message) })), issueCount: count, ...(partial ? { partial: true } : {}) },
  };
};

/** Items of each array a first, cheap check looks at (see checkAgainstSchema). */
export const PREFIX_ITEMS = 256;

/** `value` with every array longer than `max` cut to `max` items, and the paths (as issues name them) of the cut arrays. */
export const pruneArrays = (value: unknown, max = PREFIX_ITEMS): { pruned: unknown; cut: Set<string> } => {
  const cut = new Set<string>();
  const walk = (v: unknown, path: (string | number)[]): unknown => {
    if (Array.isArray(v)) {
      if (v.length > max) cut.add(issuePath(path));
      const out = new Array<unknown>(Math.min(v.length, max));
      for (let i = 0; i < out.length; i++) out[i] = walk(v[i], [...path, i]);
      return out;
    }
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, child] of Object.entries(v)) out[k] = walk(child, [...path, k]);
      return out;
    }
    return v;
  };
  return { pruned: walk(value, []), cut };
};

/** When even the whole check could not finish (zod's issue spread overflows past ~150 000 issues). */
export const TOO_MANY_ISSUES: IssueList = { issues: [{ path: '(root)', message: 'too many invalid values to check' }], count: 1, partial: true };

/**
 * Runs a check whose cost grows with the number of issues (zod makes one
 * object per failing value) in bounded time: first on `value` with every
 * array cut to PREFIX_ITEMS items — if that fails (anywhere but on a cut
 * array's own minItems/maxItems), its issues are the answer, marked partial —
 * and only then on the whole value. Returns the issues, or the whole check's
 * result when it passes.
 */
export const boundedCheck = <R>(value: unknown, check: (v: unknown) => R, issuesOf: (r: R) => IssueList | null): R | IssueList => {
  const { pruned, cut } = pruneArrays(value);
  if (cut.size > 0) {
    const first = issuesOf(check(pruned));
    if (first?.issues.every((i) => !cut.has(i.path))) return { ...first, partial: true };
  }
  try {
    return check(value);
  } catch (error) {
    if (error instanceof RangeError) return TOO_MANY_ISSUES;
    throw error;
  }
};

/** Parses `value` with `schema`; a failure is INVALID_PAYLOAD naming the first failing paths. */
export const checkAgainstSchema = <T>(schema: z.ZodType<T>, type: string, value: unknown, what = 'payload'): Parsed<T> => {
  const outcome = boundedCheck(
    value,
    (v) => schema.safeParse(v),
    (r) => (r.success ? null : payloadIssues(r.error.issues)),
  );
  if ('issues' in outcome && 'count' in outcome) return { ok: false, error: invalidPayload(type, outcome, what) };
  return outcome.success ? { ok: true, value: outcome.data } : { ok: false, error: invalidPayload(type, payloadIssues(outcome.error.issues), what) };
};
