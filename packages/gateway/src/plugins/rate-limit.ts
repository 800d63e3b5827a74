// rateLimit: requests per second per caller (token bucket). The caller is
// the principal's `sub`; anonymous callers are limited per connection.
import { z } from 'zod';
import { parsePluginOptions } from './plugin-options.ts';
import { refuse } from './errors.ts';
import { createTokenBuckets } from './token-buckets.ts';
import type { GatewayPlugin, RequestContext } from './types.ts';

const schema = z.object({
  /** Sustained requests per second per caller. */
  requestsPerSecond: z.number().positive().max(1_000_000),
  /** Requests a caller may send at once before the rate applies. @default 2 × requestsPerSecond */
  burst: z.number().int().min(1).max(1_000_000).optional(),
  /** Who shares a bucket. @default principal sub, else the connection */
  key: z.custom<(ctx: RequestContext) => string>((v) => typeof v === 'function').optional(),
  now: z.custom<() => number>((v) => typeof v === 'function').optional(),
});

export type RateLimitOptions = z.input<typeof schema>;

const callerKey = (ctx: RequestContext): string => (typeof ctx.principal?.sub === 'string' ? `sub:${ctx.principal.sub}` : `socket:${ctx.connection.socketId}`);

export const rateLimit = (input: RateLimitOptions): GatewayPlugin => {
  const options = parsePluginOptions('rateLimit', schema, input);
  const burst = options.burst ?? Math.max(1, Math.ceil(options.requestsPerSecond * 2));
  const buckets = createTokenBuckets(options.requestsPerSecond, burst, options.now);
  const keyOf = options.key ?? callerKey;
  return {
    name: 'rateLimit',
    // No async function of its own: next()'s promise, or a rejected one (issue 16).
    onRequest(ctx, next) {
      let retryAfterMs: number;
      try {
        retryAfterMs = buckets.take(keyOf(ctx));
      } catch (error) {
        return Promise.reject(error); // a custom `key` that throws
      }
      if (retryAfterMs > 0) {
        return Promise.reject(refuse('RATE_LIMITED', `Too many requests: at most ${options.requestsPerSecond} per second (burst ${burst}).`, { retryAfterMs }));
      }
      return next();
    },
  };
};
