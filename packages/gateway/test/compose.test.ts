// The request onion as a plugin sees it: next() and chain.request() always
// return promises, whatever a plugin does (throws at once, returns no
// promise, calls next() twice), and the built-in plugins that refuse do it
// by rejecting, never by throwing at their caller.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { composePlugins } from '../src/plugins/compose.ts';
import { payloadLimit } from '../src/plugins/payload-limit.ts';
import { rateLimit } from '../src/plugins/rate-limit.ts';
import type { GatewayPlugin, RequestContext } from '../src/plugins/types.ts';

const quiet = pino({ level: 'silent' });
const ctx = (payloadBytes = 10) =>
  ({ connection: { socketId: 'sock' }, sessionId: 's', id: 'a', type: 'echo', payload: null, payloadBytes, deadline: 0 }) as unknown as RequestContext;

describe('the request chain', () => {
  it('rejects, not throws, when a plugin throws at once, and runs nothing past it', async () => {
    let reached = false;
    const throwing: GatewayPlugin = {
      name: 'throwing',
      onRequest: () => {
        throw new Error('boom');
      },
    };
    const chain = composePlugins([throwing], quiet);
    const result = chain.request(ctx(), async () => {
      reached = true;
    });
    expect(result).toBeInstanceOf(Promise);
    await expect(result).rejects.toThrow('boom');
    expect(reached).toBe(false);
  });

  it('gives a promise for a plugin that returns none, and for the terminal step', async () => {
    const plain = { name: 'plain', onRequest: (_ctx: RequestContext, next: () => Promise<void>) => void next() } as unknown as GatewayPlugin;
    let reached = 0;
    const chain = composePlugins([plain], quiet);
    await expect(chain.request(ctx(), async () => void reached++)).resolves.toBeUndefined();
    expect(reached).toBe(1);
    await expect(composePlugins([], quiet).request(ctx(), async () => void reached++)).resolves.toBeUndefined();
    expect(reached).toBe(2);
  });

  it('refuses a second next() with INTERNAL naming the plugin', async () => {
    const twice: GatewayPlugin = {
      name: 'twice',
      async onRequest(_ctx, next) {
        await next();
        await next();
      },
    };
    await expect(composePlugins([twice], quiet).request(ctx(), async () => {})).rejects.toMatchObject({
      code: 'INTERNAL',
      message: 'Plugin "twice" called next() twice.',
    });
  });

  it('has payloadLimit and rateLimit refuse by a rejected promise with their codes', async () => {
    const limit = payloadLimit({ maxPayloadBytes: 5 }).onRequest!(ctx(10), async () => {});
    expect(limit).toBeInstanceOf(Promise);
    await expect(limit).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE', details: { payloadBytes: 10, maxPayloadBytes: 5 } });
    const rate = rateLimit({ requestsPerSecond: 1, burst: 1, now: () => 0 });
    await rate.onRequest!(ctx(), async () => {});
    const refused = rate.onRequest!(ctx(), async () => {});
    expect(refused).toBeInstanceOf(Promise);
    await expect(refused).rejects.toMatchObject({ code: 'RATE_LIMITED', details: { retryAfterMs: 1000 } });
    const keyThrows = rateLimit({
      requestsPerSecond: 1,
      key: () => {
        throw new Error('no key');
      },
    }).onRequest!(ctx(), async () => {});
    await expect(keyThrows).rejects.toThrow('no key');
  });
});
