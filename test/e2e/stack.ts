// The real stack for browser tests: a gateway serving the built web app, the
// Node demo worker and the Python demo workers, on one unique namespace of
// the real RabbitMQ. The gateway can be stopped and started again on the
// same port with the same SESSION_SECRET, as a redeploy would.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { launchBrowser } from './browser.ts';
import { startNodeWorker, startProcess, startPython, root, type Proc, isReady, isReadyFor } from '../support/processes.ts';
import { deleteNamespace, uniqueNamespace } from '../support/rabbit.ts';

export interface Stack {
  namespace: string;
  /** e.g. http://127.0.0.1:43121 — the web app and Socket.IO. */
  url: string;
  gateway(): Proc;
  nodeWorker: Proc;
  python: Proc;
  stopGateway(): Promise<void>;
  startGateway(): Promise<void>;
  close(): Promise<void>;
}

const RUNTIME = 'bun' as const;

export const startStack = async (staticDir: string, { gatewayEnv = {} }: { gatewayEnv?: Record<string, string> } = {}): Promise<Stack> => {
  const namespace = uniqueNamespace('e2e');
  const env = {
    HOST: '127.0.0.1',
    WARREN_NAMESPACE: namespace,
    SESSION_SECRET: randomBytes(24).toString('hex'),
    STATIC_DIR: staticDir,
    ...gatewayEnv,
  };
  const launch = async (port: number) => {
    const proc = startProcess(RUNTIME, 'packages/gateway/src/main.ts', { ...env, PORT: String(port) });
    const line = await proc.waitFor(isReady);
    return { proc, url: String(line.url) };
  };

  let gateway = await launch(0);
  const url = gateway.url.replace('0.0.0.0', '127.0.0.1');
  const port = Number(new URL(url).port);
  const [nodeWorker, python] = await Promise.all([
    startNodeWorker(RUNTIME, namespace),
    startPython(join(root, 'python/examples/run_demo_workers.py'), { WARREN_NAMESPACE: namespace }),
  ]);
  await python.waitFor(isReadyFor('chat'));

  return {
    namespace,
    url,
    gateway: () => gateway.proc,
    nodeWorker,
    python,
    stopGateway: async () => {
      await gateway.proc.kill('SIGTERM');
    },
    startGateway: async () => {
      gateway = await launch(port);
    },
    close: async () => {
      await Promise.all([gateway.proc.kill(), nodeWorker.kill(), python.kill()]);
      await deleteNamespace(namespace);
    },
  };
};

/** The built web app served by a fresh stack, and Chromium: what every browser test of the demo starts from. */
export const startDemo = async (options: { gatewayEnv?: Record<string, string> } = {}): Promise<{ stack: Stack; browser: Browser }> => {
  // Plain .mjs without types: loaded by URL so tsc does not need a declaration.
  const buildWeb = (await import(pathToFileURL(join(root, 'scripts/build-web.mjs')).href)) as {
    buildWebApp(options?: { quiet?: boolean }): Promise<string>;
  };
  const staticDir = await buildWeb.buildWebApp({ quiet: true });
  const [stack, browser] = await Promise.all([startStack(staticDir, options), launchBrowser()]);
  return { stack, browser };
};
