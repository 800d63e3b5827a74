// Start-up configuration: every options object (gateway, worker, worker
// metrics, each plugin) is checked by one parser, and a bad one fails with
// one error type that names what was configured and each bad field.
import type { z } from 'zod';
import { formatIssues, type Issue } from './parse.ts';

/** Thrown at start-up, before anything connects: `Invalid <what>:` then one `  - path: message` line per issue. */
export interface ConfigError extends Error {
  readonly name: 'ConfigError';
  readonly issues: readonly Issue[];
}

export const configError = (what: string, issues: readonly Issue[]): ConfigError =>
  Object.assign(new Error(`Invalid ${what}:\n${issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n')}`), { name: 'ConfigError' as const, issues });

export const isConfigError = (error: unknown): error is ConfigError => error instanceof Error && error.name === 'ConfigError';

/** `schema.parse(input)`, throwing a ConfigError about `what` (e.g. "gateway options") instead of a ZodError. */
export const parseOptions = <S extends z.ZodType>(what: string, schema: S, input: unknown): z.output<S> => {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw configError(what, formatIssues(result.error.issues));
};
