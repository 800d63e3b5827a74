import { defineConfig } from 'vitest/config';

// Two projects: unit tests need nothing running; integration tests
// (*.int.test.ts) talk to the real RabbitMQ on 127.0.0.1:5672 and spawn
// gateway/worker processes on Bun and Node.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/*/test/**/*.test.{ts,tsx}', 'examples/*/test/**/*.test.{ts,tsx}'],
          exclude: ['**/*.int.test.{ts,tsx}', '**/node_modules/**'],
          testTimeout: 10_000,
        },
      },
      {
        test: {
          // Fault injection: stops and disconnects the broker. Runs alone, last.
          name: 'faults',
          include: ['test/faults/**/*.fault.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          // A private 3-node RabbitMQ cluster on loopback (test/support/cluster.ts)
          // loses one node per case under load. Runs alone, after faults.
          name: 'cluster',
          include: ['test/cluster/**/*.fault.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 240_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.int.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Integration files spawn processes; two cores are all we have.
          fileParallelism: false,
        },
      },
      {
        test: {
          // Hostile clients, least-privilege broker users and trace propagation,
          // against real gateway/worker processes on RabbitMQ (test/security).
          name: 'security',
          include: ['test/security/**/*.sec.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          // One conformance service on a Node and a Python worker, the same
          // cases against each, through real gateways on RabbitMQ (test/conformance).
          name: 'conformance',
          include: ['test/conformance/**/*.int.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 90_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          // Browser tests (Debian's Chromium) against the real stack; see test/e2e.
          include: ['test/e2e/**/*.e2e.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 90_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
