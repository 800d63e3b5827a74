// localHandlers: answers some request types inside the gateway, with the
// same (payload, ctx) signature a worker handler has — like the seeds'
// in-backend testRequest handler. Other types pass on to the broker.
import { z } from 'zod';
import { REQUEST_TYPE_PATTERN } from '@warren/protocol';
import { parsePluginOptions } from './plugin-options.ts';
import type { GatewayPlugin, LocalHandler } from './types.ts';

const schema = z
  .record(
    z.string().regex(REQUEST_TYPE_PATTERN, 'a request type name'),
    z.custom<LocalHandler>((v) => typeof v === 'function', 'expected a handler function'),
  )
  .refine((h) => Object.keys(h).length > 0, 'give at least one handler');

export const localHandlers = (handlers: Record<string, LocalHandler>): GatewayPlugin => {
  const table = new Map(Object.entries(parsePluginOptions('localHandlers', schema, handlers)));
  return {
    name: 'localHandlers',
    async onRequest(ctx, next) {
      const handler = table.get(ctx.type);
      if (handler) ctx.handleLocally(handler);
      else await next();
    },
  };
};
