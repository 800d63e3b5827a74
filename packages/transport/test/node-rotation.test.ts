// The order a transport tries the nodes of a cluster in, and when it waits.
import { describe, expect, it } from 'vitest';
import { createNodeRotation } from '../src/amqp/connection.ts';

const backoff = { initialDelayMs: 100, maxDelayMs: 2500 };

describe('node rotation', () => {
  it('starts at a random node, so many processes spread over a cluster', () => {
    expect(createNodeRotation(3, backoff, () => 0).current()).toBe(0);
    expect(createNodeRotation(3, backoff, () => 0.5).current()).toBe(1);
    expect(createNodeRotation(3, backoff, () => 0.99).current()).toBe(2);
  });

  it('moves on to the next node at once after a failure, and backs off only after a whole round failed', () => {
    const nodes = createNodeRotation(3, backoff, () => 0.99);
    const seen = [nodes.current()];
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      delays.push(nodes.fail());
      seen.push(nodes.current());
    }
    expect(seen).toEqual([2, 0, 1, 2, 0, 1, 2]);
    expect(delays[0]).toBe(0);
    expect(delays[1]).toBe(0);
    expect(delays[2]).toBeGreaterThan(90); // first full round: initial delay (with jitter)
    expect(delays[5]).toBeGreaterThan(delays[2]!); // second round: doubled
  });

  it('with one node, backs off on every failure as before', () => {
    const nodes = createNodeRotation(1, backoff, () => 0.99);
    const delays = [nodes.fail(), nodes.fail(), nodes.fail()];
    expect(nodes.current()).toBe(0);
    expect(delays[0]).toBeGreaterThan(90);
    expect(delays[1]).toBeGreaterThan(delays[0]!);
    expect(delays[2]).toBeGreaterThan(delays[1]!);
  });

  it('starts the backoff afresh after a success', () => {
    const nodes = createNodeRotation(2, backoff, () => 0.99);
    nodes.fail();
    nodes.fail();
    nodes.fail();
    nodes.succeeded();
    expect(nodes.fail()).toBe(0);
    expect(nodes.fail()).toBeLessThan(110);
  });
});
