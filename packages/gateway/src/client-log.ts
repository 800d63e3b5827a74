// Browser log lines (the seeds' client logger) written as gateway log lines,
// tagged with the session and, when given, the request id. A browser can
// send as much as it likes, so what reaches the log is bounded twice: every
// entry (message and fields together) is cut to MAX_ENTRY_BYTES, and entries
// draw from one budget per principal (or, for anonymous callers, per client
// IP) shared by all of that caller's connections — 200 sockets get no more
// log than one.
import type { Logger } from 'pino';
import { z } from 'zod';
import { createTokenBuckets } from './plugins/token-buckets.ts';
import type { ConnectionContext } from './plugins/types.ts';

/** Bytes of one entry's message plus its fields (as JSON) that reach the log. */
const MAX_ENTRY_BYTES = 2048;
const MAX_MSG_CHARS = 1000;

const entrySchema = z.object({
  level: z.enum(['debug', 'info', 'warn', 'error']),
  msg: z.string().max(2000),
  fields: z.record(z.string(), z.unknown()).optional(),
  requestId: z.string().max(128).optional(),
  ts: z.number().optional(),
});
const frameSchema = z.object({ entries: z.array(entrySchema).max(50) });

/** Whose budget a connection's client logs draw from. */
export const logBudgetKey = (connection: ConnectionContext): string =>
  typeof connection.principal?.sub === 'string' ? `sub:${connection.principal.sub}` : `ip:${connection.handshake.ip ?? 'unknown'}`;

const boundedFields = (fields: Record<string, unknown> | undefined, room: number): unknown => {
  if (fields === undefined) return undefined;
  let text: string | undefined;
  try {
    text = JSON.stringify(fields);
  } catch {
    return { dropped: 'not JSON' };
  }
  if (text === undefined || text.length <= room) return fields;
  // Cut as text: a truncated JSON string is still one bounded log field.
  return { truncated: true, bytes: text.length, head: text.slice(0, Math.max(0, room - 64)) };
};

export interface ClientLogWriter {
  /** Writes a client-log frame's entries within the caller's budget; false when the frame is malformed. */
  write(log: Logger, frame: unknown, key: string): boolean;
}

export const createClientLogWriter = ({ perSecond, burst, now = Date.now }: { perSecond: number; burst: number; now?: () => number }): ClientLogWriter => {
  const budget = createTokenBuckets(perSecond, burst, now);
  const dropped = new Map<string, number>();
  return {
    write(log, frame, key) {
      const parsed = frameSchema.safeParse(frame);
      if (!parsed.success) return false;
      for (const entry of parsed.data.entries) {
        if (perSecond === 0 || budget.take(key) > 0) {
          dropped.set(key, (dropped.get(key) ?? 0) + 1);
          continue;
        }
        const msg = entry.msg.length > MAX_MSG_CHARS ? `${entry.msg.slice(0, MAX_MSG_CHARS)}…` : entry.msg;
        const fields: Record<string, unknown> = { source: 'client', clientFields: boundedFields(entry.fields, MAX_ENTRY_BYTES - msg.length) };
        if (entry.requestId) fields.requestId = entry.requestId;
        if (entry.ts) fields.clientTs = entry.ts;
        // Once per refill, say how much was dropped, so a flood is visible without being written.
        const lost = dropped.get(key);
        if (lost) {
          fields.droppedBefore = lost;
          dropped.delete(key);
        }
        log[entry.level](fields, msg);
      }
      if (dropped.size > 10_000) dropped.clear();
      return true;
    },
  };
};
