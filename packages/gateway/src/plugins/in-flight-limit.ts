// inFlightLimit: requests a connection may have accepted but not yet
// answered. A slot is held from acceptance until the final response is
// relayed (or the deadline passes, should no answer ever come).
import { z } from 'zod';
import { isFinal } from '@warren/protocol';
import { parsePluginOptions } from './plugin-options.ts';
import { refuse } from './errors.ts';
import type { ConnectionContext, GatewayPlugin } from './types.ts';

const schema = z.object({
  /** Unanswered requests per connection at most. */
  maxPerConnection: z.number().int().min(1).max(1_000_000),
  now: z.custom<() => number>((v) => typeof v === 'function').optional(),
});

export type InFlightLimitOptions = z.input<typeof schema>;

export const inFlightLimit = (input: InFlightLimitOptions): GatewayPlugin => {
  const options = parsePluginOptions('inFlightLimit', schema, input);
  const now = options.now ?? Date.now;
  const slots = new WeakMap<ConnectionContext, Map<string, number>>();
  const of = (connection: ConnectionContext) => {
    let map = slots.get(connection);
    if (!map) slots.set(connection, (map = new Map()));
    return map;
  };
  return {
    name: 'inFlightLimit',
    async onRequest(ctx, next) {
      const held = of(ctx.connection);
      if (held.size >= options.maxPerConnection) {
        const t = now();
        for (const [id, deadline] of held) if (deadline <= t) held.delete(id);
      }
      if (held.size >= options.maxPerConnection && !held.has(ctx.id)) {
        throw refuse('RATE_LIMITED', `Too many requests in flight on this connection (at most ${options.maxPerConnection}).`);
      }
      // Held before publishing, so concurrent requests cannot all slip past the check.
      held.set(ctx.id, ctx.deadline);
      try {
        await next();
      } catch (error) {
        held.delete(ctx.id);
        throw error;
      }
    },
    onResponse(response, ctx) {
      if (isFinal(response)) slots.get(ctx.connection)?.delete(response.id);
    },
  };
};
