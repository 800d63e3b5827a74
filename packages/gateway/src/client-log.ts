// Browser log lines (the seeds' client logger) written as gateway log lines,
// tagged with the session and, when given, the request id. Bounded per frame.
import type { Logger } from 'pino';
import { z } from 'zod';

const entrySchema = z.object({
  level: z.enum(['debug', 'info', 'warn', 'error']),
  msg: z.string().max(2000),
  fields: z.record(z.string(), z.unknown()).optional(),
  requestId: z.string().max(128).optional(),
  ts: z.number().optional(),
});
const frameSchema = z.object({ entries: z.array(entrySchema).max(50) });

export const writeClientLog = (log: Logger, frame: unknown): boolean => {
  const parsed = frameSchema.safeParse(frame);
  if (!parsed.success) return false;
  for (const entry of parsed.data.entries) {
    const fields: Record<string, unknown> = { source: 'client', clientFields: entry.fields };
    if (entry.requestId) fields.requestId = entry.requestId;
    if (entry.ts) fields.clientTs = entry.ts;
    log[entry.level](fields, entry.msg);
  }
  return true;
};
