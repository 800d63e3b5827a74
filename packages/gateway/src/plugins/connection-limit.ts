// connectionLimit: sockets open at once per principal and per client IP.
// Place it after authentication so it sees the principal.
import { z } from 'zod';
import { parsePluginOptions } from './plugin-options.ts';
import { refuse } from './errors.ts';
import type { ConnectionContext, GatewayPlugin } from './types.ts';

const schema = z
  .object({
    /** Open sockets per principal `sub` at most; 0 = no limit. @default 0 */
    maxPerPrincipal: z.number().int().min(0).max(1_000_000).default(0),
    /** Open sockets per client IP at most; 0 = no limit. @default 0 */
    maxPerIp: z.number().int().min(0).max(1_000_000).default(0),
  })
  .refine((o) => o.maxPerPrincipal > 0 || o.maxPerIp > 0, { message: 'set maxPerPrincipal or maxPerIp above 0', path: ['maxPerPrincipal'] });

export type ConnectionLimitOptions = z.input<typeof schema>;

export const connectionLimit = (input: ConnectionLimitOptions): GatewayPlugin => {
  const options = parsePluginOptions('connectionLimit', schema, input);
  const counts = new Map<string, number>();
  const held = new WeakMap<ConnectionContext, string[]>();
  const keysOf = (c: ConnectionContext) => {
    const keys: [string, number][] = [];
    if (options.maxPerIp > 0) keys.push([`ip:${c.handshake.ip}`, options.maxPerIp]);
    if (options.maxPerPrincipal > 0 && typeof c.principal?.sub === 'string') keys.push([`sub:${c.principal.sub}`, options.maxPerPrincipal]);
    return keys;
  };
  return {
    name: 'connectionLimit',
    onConnect(connection) {
      const keys = keysOf(connection);
      for (const [key, max] of keys) {
        if ((counts.get(key) ?? 0) >= max) {
          throw refuse('RATE_LIMITED', `Too many open connections for this ${key.startsWith('ip:') ? 'address' : 'user'} (at most ${max}).`);
        }
      }
      for (const [key] of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
      held.set(
        connection,
        keys.map(([k]) => k),
      );
    },
    onDisconnect(connection) {
      for (const key of held.get(connection) ?? []) {
        const n = (counts.get(key) ?? 1) - 1;
        if (n <= 0) counts.delete(key);
        else counts.set(key, n);
      }
      held.delete(connection);
    },
  };
};
