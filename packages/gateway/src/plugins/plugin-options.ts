// Plugin factories validate their options here, at construction, so a bad
// option fails the boot with the plugin's name, the field and its range.
import type { z } from 'zod';
import { formatIssues } from '@warren/protocol';

export const parsePluginOptions = <S extends z.ZodType>(plugin: string, schema: S, input: unknown): z.output<S> => {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const lines = formatIssues(result.error.issues).map((i) => `  - ${i.path}: ${i.message}`);
  throw new Error(`Invalid options for plugin "${plugin}":\n${lines.join('\n')}`);
};
