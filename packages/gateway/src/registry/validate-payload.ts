// validatePayload: the gateway plugin that refuses a payload breaking the
// schema its workers announced, before anything is published. Runs after the
// built-ins (auth, limits), so a bad payload still counts against a caller.
import { createWarrenError } from '@warren/protocol';
import type { GatewayPlugin } from '../plugins/types.ts';
import type { GatewayRegistry } from './registry.ts';

export const validatePayload = (registry: Pick<GatewayRegistry, 'validate'>): GatewayPlugin => {
  if (typeof registry?.validate !== 'function') throw new Error('validatePayload: expected the gateway registry');
  return {
    name: 'validatePayload',
    async onRequest(ctx, next) {
      const error = await registry.validate(ctx.type, ctx.payload, ctx.payloadBytes);
      if (error !== null) {
        // Issues are capped (MAX_REPORTED_ISSUES), so this line stays small.
        ctx.log.info({ issues: error.details?.issues, issueCount: error.details?.issueCount }, 'payload does not match the announced schema');
        throw createWarrenError(error.code, error.message, error.details === undefined ? {} : { details: error.details });
      }
      await next();
    },
  };
};
