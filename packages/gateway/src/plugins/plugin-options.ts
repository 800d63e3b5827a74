// Plugin factories validate their options here, at construction, so a bad
// option fails the boot with the plugin's name, the field and its range.
import type { z } from 'zod';
import { parseOptions } from '@warren/protocol';

export const parsePluginOptions = <S extends z.ZodType>(plugin: string, schema: S, input: unknown): z.output<S> =>
  parseOptions(`options for plugin "${plugin}"`, schema, input ?? {});
