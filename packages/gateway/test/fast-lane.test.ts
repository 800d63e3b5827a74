// The gateway's fast lane on its own (decision 0016): which requests may take
// it, answers routed to their session's socket in memory, a returned request
// answered NO_HANDLER, nothing for a session not connected here. The broker
// side is a stand-in transport (the memory transport has no fast lane).
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Response } from '@warren/protocol';
import type { FastLaneListener, GatewayTransport, RequestMessage } from '@warren/transport';
import { createGatewayFastLane } from '../src/fast-lane.ts';

const quiet = pino({ level: 'silent' });

const standIn = () => {
  let listener: FastLaneListener | undefined;
  const published: RequestMessage[] = [];
  let opened = 0;
  const transport = {
    async openFastLane(l: FastLaneListener) {
      opened += 1;
      listener = l;
      return { publish: async (request: RequestMessage) => void published.push(request), close: async () => {} };
    },
  } as unknown as GatewayTransport;
  return { transport, published, opened: () => opened, broker: () => listener! };
};

const request = (session: string, id: string): RequestMessage => ({ id, type: 'lookup', payload: null, session });
const result = (id: string): Response => ({ kind: 'result', id, seq: 0, attempt: 1, data: id });

describe('gateway fast lane', () => {
  it('serves a type only when the transport has a lane and a live worker announced the type fast', () => {
    const { transport } = standIn();
    const lane = createGatewayFastLane(transport, (type) => type === 'lookup', quiet);
    expect(lane.serves('lookup')).toBe(true);
    expect(lane.serves('other')).toBe(false);
    const without = createGatewayFastLane({} as GatewayTransport, () => true, quiet);
    expect(without.serves('lookup')).toBe(false);
  });

  it('opens one lane on first use and routes each answer to its session only', async () => {
    const { transport, published, opened, broker } = standIn();
    const lane = createGatewayFastLane(transport, () => true, quiet);
    expect(opened()).toBe(0);
    const a: Response[] = [];
    const b: Response[] = [];
    lane.route('A', (r) => a.push(r));
    lane.route('B', (r) => b.push(r));
    await lane.publish(request('A', '1'));
    await lane.publish(request('B', '1'));
    expect(opened()).toBe(1);
    expect(published.map((r) => r.session)).toEqual(['A', 'B']);
    broker().response('B', result('1'));
    broker().response('A', result('1'));
    broker().response('nobody', result('9'));
    expect(a).toEqual([result('1')]);
    expect(b).toEqual([result('1')]);
  });

  it('answers a returned request NO_HANDLER on its session', async () => {
    const { transport, broker } = standIn();
    const lane = createGatewayFastLane(transport, () => true, quiet);
    const got: Response[] = [];
    lane.route('A', (r) => got.push(r));
    await lane.publish(request('A', 'x'));
    broker().returned({ session: 'A', id: 'x', type: 'lookup' });
    expect(got).toEqual([{ kind: 'error', id: 'x', seq: 0, attempt: 1, error: { code: 'NO_HANDLER', message: 'No worker serves request type "lookup".' } }]);
  });

  it('stops routing to a session once its socket unregistered, but not when an older socket of it leaves late', async () => {
    const { transport, broker } = standIn();
    const lane = createGatewayFastLane(transport, () => true, quiet);
    await lane.publish(request('A', '1'));
    const old: Response[] = [];
    const current: Response[] = [];
    const unrouteOld = lane.route('A', (r) => old.push(r));
    const unrouteCurrent = lane.route('A', (r) => current.push(r));
    unrouteOld();
    broker().response('A', result('1'));
    expect(current).toHaveLength(1);
    expect(old).toHaveLength(0);
    unrouteCurrent();
    broker().response('A', result('2'));
    expect(current).toHaveLength(1);
  });
});
