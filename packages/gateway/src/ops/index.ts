// The operations side of a gateway, wired in one call: a recording
// transport (call-log.ts: the call log and dead-letter store listen on it), the queue
// statistics connection, and the HTTP routes. See docs/operations.md.
import type { Logger } from 'pino';
import type { Transport } from '@warren/transport';
import type { GatewayMetrics } from '../metrics.ts';
import type { GatewayOptions } from '../options.ts';
import type { TokenVerifier } from '../plugins/authenticate.ts';
import type { GatewayRegistry } from '../registry/index.ts';
import type { Sessions } from '../session-tokens.ts';
import { createOpsAccess } from './access.ts';
import { createCallLog, recordingTransport } from './call-log.ts';
import { createDeadLetterStore, type DeadLetterStore } from './dead-letter-store.ts';
import { createQueueStats } from './queue-stats.ts';
import { withOpsRoutes } from './routes.ts';

/** `verify` is the gateway's own token check (resolveVerifier), so the console admits whom the gateway admits. */
export const createOps = (raw: Transport, options: GatewayOptions, log: Logger, verify: TokenVerifier | undefined) => {
  const calls = createCallLog();
  let store: DeadLetterStore | undefined;
  const transport = recordingTransport(raw, calls, (dead) => store?.add(dead));
  store = createDeadLetterStore({ transport, log: log.child({ component: 'ops' }), max: options.opsDeadLetters });
  const deadLetters = store;
  const queues = raw.kind === 'amqp' ? createQueueStats(options.url, options.namespace) : undefined;
  return {
    transport,
    calls,
    routes: (deps: { sessions: Sessions; registry: GatewayRegistry; metrics: GatewayMetrics }) =>
      withOpsRoutes.bind(null, {
        calls,
        deadLetters,
        queues,
        sessions: deps.sessions,
        verify,
        access: createOpsAccess(options, verify),
        catalogue: () => deps.registry.catalogue(),
        metrics: deps.metrics,
        broker: () => raw.status(),
        namespace: options.namespace,
        log: log.child({ component: 'ops' }),
      }),
    async close() {
      await deadLetters.close();
      await queues?.close();
    },
  };
};
