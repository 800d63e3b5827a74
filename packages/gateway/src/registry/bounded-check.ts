// A payload check whose cost follows the payload's size with a small
// constant, however many ways the payload is wrong. zod builds one issue
// object per failing value: an array of 100 000 empty objects costs it
// 200 000 issues, a second of work and garbage collection, and past ~150 000
// issues from one field its own argument spread overflows the stack. So a
// large payload is first checked with every array cut to its first
// PREFIX_ITEMS items; when that already fails, its issues are the answer
// (marked partial: the rest was not checked). Only a payload whose prefix
// passes is checked whole — and a valid payload is cheap for zod.
import type { IssueList } from '@warren/protocol';
import { checkVariants, type SchemaCompiler, type VariantSchema, type VariantsOutcome } from './schema-check.ts';

/** Items of each array checked in the first pass. */
export const PREFIX_ITEMS = 256;

const joinPath = (path: readonly (string | number)[]) => (path.length === 0 ? '(root)' : path.join('.'));

/** `value` with every array longer than `max` cut to `max` items, and the paths (as issues name them) of the cut arrays. */
export const pruneArrays = (value: unknown, max = PREFIX_ITEMS): { pruned: unknown; cut: Set<string> } => {
  const cut = new Set<string>();
  const walk = (v: unknown, path: (string | number)[]): unknown => {
    if (Array.isArray(v)) {
      if (v.length > max) cut.add(joinPath(path));
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

const TOO_MANY: IssueList = { issues: [{ path: '(root)', message: 'too many invalid values to check' }], count: 1, partial: true };

export const checkBounded = (compile: SchemaCompiler, variants: readonly VariantSchema[], payload: unknown): VariantsOutcome => {
  const { pruned, cut } = pruneArrays(payload);
  if (cut.size > 0) {
    const prefix = checkVariants(compile, variants, pruned);
    // An issue on a cut array itself (minItems, maxItems, uniqueItems…) may be
    // the cut's doing: only issues elsewhere decide.
    const real = prefix.issues?.issues.filter((i) => !cut.has(i.path)) ?? [];
    if (prefix.issues !== null && real.length === prefix.issues.issues.length) {
      return { issues: { ...prefix.issues, partial: true }, unusable: prefix.unusable };
    }
  }
  try {
    return checkVariants(compile, variants, payload);
  } catch (error) {
    if (error instanceof RangeError) return { issues: TOO_MANY, unusable: [] };
    throw error;
  }
};
