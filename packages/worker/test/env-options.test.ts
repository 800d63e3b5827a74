// Workers read their configuration from the environment by default (the same
// names as the Python SDK); options passed to registerHandlers win.
import { describe, expect, it } from 'vitest';
import { parseWorkerOptions, withEnvironment, workerOptionsFromEnv } from '../src/options.ts';

const ENV = { AMQP_URL: 'amqp://u:p@rmq:5672', WARREN_NAMESPACE: 'prod', WORKER_CONCURRENCY: '3', WORKER_DRAIN_TIMEOUT_MS: '2500' };

describe('worker options from the environment', () => {
  it('reads AMQP_URL, WARREN_NAMESPACE, WORKER_CONCURRENCY and WORKER_DRAIN_TIMEOUT_MS', () => {
    expect(workerOptionsFromEnv(ENV)).toEqual({ url: ENV.AMQP_URL, namespace: 'prod', concurrency: 3, drainTimeoutMs: 2500 });
  });

  it('applies them when the options do not say', () => {
    const opts = parseWorkerOptions(withEnvironment({ service: 's' }, ENV));
    expect(opts).toMatchObject({ namespace: 'prod', concurrency: 3, drainTimeoutMs: 2500, url: [ENV.AMQP_URL] });
  });

  it('lets explicit options win, and treats an undefined option as not given', () => {
    const opts = parseWorkerOptions(withEnvironment({ service: 's', namespace: 'mine', concurrency: 1, url: undefined }, ENV));
    expect(opts).toMatchObject({ namespace: 'mine', concurrency: 1, url: [ENV.AMQP_URL] });
  });

  it('keeps the defaults shared with the Python SDK without an environment', () => {
    expect(parseWorkerOptions(withEnvironment({ service: 's' }, {}))).toMatchObject({ namespace: 'warren', concurrency: 8, drainTimeoutMs: 10_000 });
  });

  it('names a bad variable value at start-up', () => {
    expect(() => parseWorkerOptions(withEnvironment({ service: 's' }, { WORKER_CONCURRENCY: 'lots' }))).toThrow(/concurrency/);
  });
});
