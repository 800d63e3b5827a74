// Runs the plugin hooks in order. Requests go through an onion (like Hono's
// compose): each plugin decides whether to call next(); responses and
// disconnects unwind innermost first. A plugin that throws in onResponse or
// onDisconnect is logged and skipped: one bad plugin never loses a response.
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { configError, createWarrenError, type Response } from '@warren/protocol';
import type { ConnectionContext, GatewayPlugin, RequestContext, ResponseContext } from './types.ts';

export interface PluginChain {
  readonly plugins: readonly GatewayPlugin[];
  handshake(req: IncomingMessage): Promise<void>;
  connect(connection: ConnectionContext): Promise<void>;
  request(ctx: RequestContext, terminal: () => Promise<void>): Promise<void>;
  response(response: Response, ctx: ResponseContext): Response;
  disconnect(connection: ConnectionContext, reason: string): void;
}

const HOOKS = ['onHandshake', 'onConnect', 'onRequest', 'onResponse', 'onDisconnect'] as const;

/** Fails the boot when something in `plugins` is not a plugin, naming its position. */
export const checkPlugins = (plugins: unknown): GatewayPlugin[] => {
  if (!Array.isArray(plugins)) throw configError('gateway options', [{ path: 'plugins', message: 'expected an array of plugins' }]);
  plugins.forEach((plugin, i) => {
    if (plugin === null || typeof plugin !== 'object' || typeof (plugin as GatewayPlugin).name !== 'string') {
      throw configError('gateway options', [
        { path: `plugins.${i}`, message: 'expected a plugin object with a name (did you pass the factory instead of calling it?)' },
      ]);
    }
    for (const hook of HOOKS) {
      const fn = (plugin as Record<string, unknown>)[hook];
      if (fn !== undefined && typeof fn !== 'function') {
        throw configError('gateway options', [{ path: `plugins.${i} (${(plugin as GatewayPlugin).name}).${hook}`, message: 'expected a function' }]);
      }
    }
  });
  return plugins as GatewayPlugin[];
};

export const composePlugins = (plugins: readonly GatewayPlugin[], log: Logger): PluginChain => {
  const withHook = <K extends (typeof HOOKS)[number]>(hook: K) => plugins.filter((p) => typeof p[hook] === 'function');
  const handshakers = withHook('onHandshake');
  const connectors = withHook('onConnect');
  const requesters = withHook('onRequest');
  const responders = withHook('onResponse').reverse();
  const leavers = withHook('onDisconnect').reverse();

  return {
    plugins,
    async handshake(req) {
      for (const plugin of handshakers) await plugin.onHandshake!(req);
    },
    async connect(connection) {
      const done: GatewayPlugin[] = [];
      try {
        for (const plugin of connectors) {
          await plugin.onConnect!(connection);
          done.push(plugin);
        }
      } catch (error) {
        // Plugins that already counted this connection must forget it again.
        for (const plugin of done.reverse()) {
          try {
            plugin.onDisconnect?.(connection, 'refused');
          } catch (inner) {
            log.error({ err: inner, plugin: plugin.name }, 'plugin onDisconnect threw; skipping it');
          }
        }
        throw error;
      }
    },
    request(ctx, terminal) {
      let last = -1;
      // Not an async function: the promise a plugin (or the terminal step)
      // returns is handed on as it is, not wrapped in one more per plugin
      // (issue 16). A plugin that throws, or returns no promise, still
      // yields a promise, as an async dispatch did.
      const dispatch = (i: number): Promise<void> => {
        if (i <= last) return Promise.reject(createWarrenError('INTERNAL', `Plugin "${requesters[i - 1]?.name}" called next() twice.`));
        last = i;
        const plugin = requesters[i];
        try {
          return Promise.resolve(plugin ? plugin.onRequest!(ctx, () => dispatch(i + 1)) : terminal());
        } catch (error) {
          return Promise.reject(error);
        }
      };
      return dispatch(0);
    },
    response(response, ctx) {
      let current = response;
      for (const plugin of responders) {
        try {
          current = plugin.onResponse!(current, ctx) ?? current;
        } catch (error) {
          log.error({ err: error, plugin: plugin.name, requestId: response.id }, 'plugin onResponse threw; skipping it');
        }
      }
      return current;
    },
    disconnect(connection, reason) {
      for (const plugin of leavers) {
        try {
          plugin.onDisconnect!(connection, reason);
        } catch (error) {
          log.error({ err: error, plugin: plugin.name }, 'plugin onDisconnect threw; skipping it');
        }
      }
    },
  };
};
