// payloadLimit: a typed PAYLOAD_TOO_LARGE for payloads above the limit.
// Frames above the gateway's maxFrameBytes never get this far: Socket.IO
// drops the connection for them, so keep this limit well below that one.
import { z } from 'zod';
import { parsePluginOptions } from './plugin-options.ts';
import { refuse } from './errors.ts';
import type { GatewayPlugin } from './types.ts';

const schema = z.object({
  /** Largest payload, as JSON text, in bytes. */
  maxPayloadBytes: z
    .number()
    .int()
    .min(1)
    .max(512 * 1024 * 1024),
});

export type PayloadLimitOptions = z.input<typeof schema>;

export const payloadLimit = (input: PayloadLimitOptions): GatewayPlugin => {
  const { maxPayloadBytes } = parsePluginOptions('payloadLimit', schema, input);
  return {
    name: 'payloadLimit',
    // No async function of its own: next()'s promise, or a rejected one (issue 16).
    onRequest(ctx, next) {
      if (ctx.payloadBytes > maxPayloadBytes) {
        return Promise.reject(
          refuse('PAYLOAD_TOO_LARGE', `The payload is ${ctx.payloadBytes} bytes; at most ${maxPayloadBytes} are accepted.`, {
            payloadBytes: ctx.payloadBytes,
            maxPayloadBytes,
          }),
        );
      }
      return next();
    },
  };
};
