// originCheck: refuses Engine.IO handshakes (polling requests and WebSocket
// upgrades) from browser origins not on the list, so another site's page
// cannot open a socket with the user's credentials (cross-site WebSocket
// hijacking). Same-origin pages and non-browser clients (no Origin) pass.
import { z } from 'zod';
import { parsePluginOptions } from './plugin-options.ts';
import { refuse } from './errors.ts';
import type { GatewayPlugin } from './types.ts';

const schema = z.object({
  /** Exact origins, e.g. `https://app.example.com` (scheme://host[:port]). */
  allowedOrigins: z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, 'an origin like https://app.example.com (no path)')).min(1),
  /** Let clients that send no Origin header through (CLI, servers). @default true */
  allowMissingOrigin: z.boolean().default(true),
});

export type OriginCheckOptions = z.input<typeof schema>;

export const originCheck = (input: OriginCheckOptions): GatewayPlugin => {
  const options = parsePluginOptions('originCheck', schema, input);
  const allowed = new Set(options.allowedOrigins.map((o) => o.toLowerCase()));
  return {
    name: 'originCheck',
    onHandshake(req) {
      const origin = req.headers.origin?.toLowerCase();
      if (origin === undefined) {
        if (options.allowMissingOrigin) return;
        throw refuse('FORBIDDEN', 'An Origin header is required.');
      }
      if (allowed.has(origin)) return;
      const host = req.headers.host?.toLowerCase();
      if (host !== undefined && (origin === `http://${host}` || origin === `https://${host}`)) return;
      throw refuse('FORBIDDEN', 'This origin may not connect to the gateway.');
    },
  };
};
