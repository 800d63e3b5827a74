// A payload check whose cost follows the payload's size with a small
// constant, however many ways the payload is wrong. zod builds one issue
// object per failing value: an array of 100 000 empty objects costs it
// 200 000 issues, a second of work and garbage collection, and past ~150 000
// issues from one field its own argument spread overflows the stack. So a
// payload is first checked with every array cut to its first PREFIX_ITEMS
// items; when that already fails, its issues are the answer (marked partial:
// the rest was not checked). Only a payload whose prefix passes is checked
// whole — and a valid payload is cheap for zod. (boundedCheck is the
// protocol's, shared with the Node worker SDK.)
import { boundedCheck, type IssueList } from '@warren/protocol';
import { checkVariants, type SchemaCompiler, type VariantSchema, type VariantsOutcome } from './schema-check.ts';

export { PREFIX_ITEMS, pruneArrays } from '@warren/protocol';

export const checkBounded = (compile: SchemaCompiler, variants: readonly VariantSchema[], payload: unknown): VariantsOutcome => {
  const outcome = boundedCheck(
    payload,
    (v) => checkVariants(compile, variants, v),
    (r) => r.issues,
  );
  return 'unusable' in outcome ? outcome : { issues: outcome as IssueList, unusable: [] };
};
