// The reply relay's socket frames (capability response-batches): a client
// that asked for batches gets the responses of one tick as one `responses`
// frame and settles them all with one ack; every other client gets one
// `response` frame per response. A fake socket and a fake transport built
// from the interfaces the relay uses; plugins, metrics and the in-flight
// table are the real ones.
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EVENTS, RESPONSES_FRAME, type Response } from '@warren/protocol';
import { createMemoryBroker, memoryTransport, type ReplySubscriptionOptions, type ResponseListener } from '@warren/transport';
import { decodeWithDataBytes } from '../../transport/src/amqp/data-bytes.ts';
import { createInFlightTable } from '../src/in-flight.ts';
import { createGatewayMetrics } from '../src/metrics.ts';
import { parseGatewayOptions } from '../src/options.ts';
import { composePlugins } from '../src/plugins/compose.ts';
import type { ConnectionContext } from '../src/plugins/types.ts';
import { createReplyRelay } from '../src/reply-relay.ts';
import { createHeldAcks, type HeldAcks } from '../src/held-acks.ts';
import type { GatewayPlugin } from '../src/plugins/types.ts';
import type { Ack } from '@warren/protocol';

const quiet = pino({ level: 'silent' });

interface Frame {
  event: string;
  body: unknown;
  /** The ack callback; with `sequenced`, the frame's seq (or undefined: nothing to acknowledge). */
  ack: () => void;
}

const chunk = (id: string, seq: number): Response => ({ kind: 'chunk', id, seq, attempt: 1, data: { seq } });
const result = (id: string, seq: number): Response => ({ kind: 'result', id, seq, attempt: 1, data: { done: true } });

const setup = async ({
  batching,
  ackTimeoutMs = 60_000,
  held,
  plugins = [],
  sequenced = false,
  dataBytes,
}: {
  batching: boolean;
  sequenced?: boolean;
  dataBytes?: boolean;
  ackTimeoutMs?: number;
  held?: Pick<HeldAcks, 'answer'>;
  plugins?: GatewayPlugin[];
}) => {
  const frames: Frame[] = [];
  let connClosed = 0;
  const socket = {
    emit: (event: string, body: unknown, ack: () => void) => {
      frames.push({ event, body, ack });
      return true;
    },
    conn: { close: (_discard?: boolean) => void (connClosed += 1) },
  };
  let listener: ResponseListener | undefined;
  let replyOptions: ReplySubscriptionOptions | undefined;
  let closedSubscription = false;
  const transport = {
    consumeReplies: async (_session: string, l: ResponseListener, options: ReplySubscriptionOptions) => {
      listener = l;
      replyOptions = options;
      return {
        pause: async () => {},
        close: async () => {
          closedSubscription = true;
        },
      };
    },
  };
  // The flush runs when the test says the tick is over.
  const ticks: (() => void)[] = [];
  const connection: ConnectionContext = {
    socketId: 'sock-1',
    handshake: { auth: {}, headers: {}, ip: '127.0.0.1', origin: undefined },
    principal: undefined,
    expiresAtMs: undefined,
    log: quiet,
  };
  const inFlight = createInFlightTable();
  const metrics = createGatewayMetrics({ transport: memoryTransport(createMemoryBroker()), connectedSockets: () => 1, inFlight: () => 0 });
  const requests = inFlight.connection('session-1');
  const relay = createReplyRelay({
    socket,
    ...(held === undefined ? {} : { held }),
    batching,
    sequenced,
    ...(dataBytes === undefined ? {} : { dataBytes }),
    schedule: (flush) => ticks.push(flush),
    transport,
    options: parseGatewayOptions({ ackTimeoutMs }),
    sessionId: 'session-1',
    log: quiet,
    now: Date.now,
    chain: composePlugins(plugins, quiet),
    connection,
    requests,
    metrics,
  });
  await relay.ensure();
  const settled: string[] = [];
  return {
    relay,
    frames,
    requests,
    metrics,
    settled,
    connClosed: () => connClosed,
    subscriptionClosed: () => closedSubscription,
    replyOptions: () => replyOptions,
    /** A durable response from the session's reply queue; its settle is recorded by `${id}/${seq}`. */
    deliver: (response: Response, bytes?: number) => listener!(response, () => settled.push(`${response.id}/${response.seq}`), bytes),
    endTick: () => {
      for (const flush of ticks.splice(0)) flush();
    },
  };
};

afterEach(() => {
  vi.useRealTimers();
});

describe('reply relay: socket frames', () => {
  it('sends the responses of one tick to a batching client as ONE responses frame, in order, and settles them all on its one ack', async () => {
    const t = await setup({ batching: true });
    const stream = [chunk('r1', 0), chunk('r1', 1), chunk('r2', 0), chunk('r1', 2), result('r1', 3), result('r2', 1)];
    for (const response of stream) t.deliver(response, 100);
    expect(t.frames).toHaveLength(0); // held until the tick ends
    t.endTick();
    expect(t.frames).toHaveLength(1);
    expect(t.frames[0]!.event).toBe(EVENTS.responses);
    expect(t.frames[0]!.body).toEqual(stream);
    expect(t.settled).toEqual([]); // nothing settles before the browser acked
    t.frames[0]!.ack();
    expect(t.settled).toEqual(['r1/0', 'r1/1', 'r2/0', 'r1/2', 'r1/3', 'r2/1']);
    t.frames[0]!.ack(); // a repeated ack settles nothing twice
    expect(t.settled).toHaveLength(6);
  });

  it("shares the frames with a retained call's responses (relay.send): one frame for both, each told when the browser acked it", async () => {
    const t = await setup({ batching: true });
    const acked: string[] = [];
    t.deliver(chunk('r1', 0), 100);
    t.relay.send(chunk('keyed', 0), () => acked.push('keyed/0'));
    t.relay.send(result('keyed', 1), () => acked.push('keyed/1'));
    t.endTick();
    expect(t.frames).toHaveLength(1);
    expect(t.frames[0]!.event).toBe(EVENTS.responses);
    expect(t.frames[0]!.body).toEqual([chunk('r1', 0), chunk('keyed', 0), result('keyed', 1)]);
    expect(acked).toEqual([]);
    t.frames[0]!.ack();
    expect(acked).toEqual(['keyed/0', 'keyed/1']);
    expect(t.settled).toEqual(['r1/0']);
  });

  it('sends a lone response of a tick as a plain response frame, which every client reads', async () => {
    const t = await setup({ batching: true });
    t.deliver(result('r1', 0), 50);
    t.endTick();
    expect(t.frames.map((f) => f.event)).toEqual([EVENTS.response]);
    expect(t.frames[0]!.body).toEqual(result('r1', 0));
    t.frames[0]!.ack();
    expect(t.settled).toEqual(['r1/0']);
  });

  it('closes a frame at its response bound: 128 go at once, the rest with the tick', async () => {
    const t = await setup({ batching: true });
    const many = Array.from({ length: RESPONSES_FRAME.maxResponses + 2 }, (_, i) => chunk('r1', i));
    for (const response of many) t.deliver(response, 10);
    expect(t.frames).toHaveLength(1); // the full one left without waiting for the tick
    expect(t.frames[0]!.body).toEqual(many.slice(0, RESPONSES_FRAME.maxResponses));
    t.endTick();
    expect(t.frames).toHaveLength(2);
    expect(t.frames[1]!.body).toEqual(many.slice(RESPONSES_FRAME.maxResponses));
    // Each ack settles its own frame only.
    t.frames[1]!.ack();
    expect(t.settled).toEqual(['r1/128', 'r1/129']);
    t.frames[0]!.ack();
    expect(t.settled).toHaveLength(130);
  });

  it('closes a frame at its byte bound, and a response bigger than the bound goes alone', async () => {
    const t = await setup({ batching: true });
    const third = Math.floor(RESPONSES_FRAME.maxBytes / 3) + 1;
    // Three thirds do not fit: two go together, the third starts the next frame.
    t.deliver(chunk('r1', 0), third);
    t.deliver(chunk('r1', 1), third);
    t.deliver(chunk('r1', 2), third);
    // A response above the bound: the frame before it leaves, it goes alone, the next starts anew.
    t.deliver(chunk('r1', 3), RESPONSES_FRAME.maxBytes * 4);
    t.deliver(result('r1', 4), 10);
    t.endTick();
    const seqs = t.frames.map((f) => (f.event === EVENTS.responses ? (f.body as Response[]).map((r) => r.seq) : [(f.body as Response).seq]));
    expect(seqs).toEqual([[0, 1], [2], [3], [4]]);
  });

  it('measures a response the transport gave no size for', async () => {
    const t = await setup({ batching: true });
    const big: Response = { kind: 'chunk', id: 'r1', seq: 0, attempt: 1, data: 'x'.repeat(RESPONSES_FRAME.maxBytes) };
    t.deliver(chunk('r1', 0));
    t.deliver(big);
    t.endTick();
    expect(t.frames.map((f) => f.event)).toEqual([EVENTS.response, EVENTS.response]);
  });

  it('sends an old client (no handshake flag) one response frame per response, at once, each settled by its own ack', async () => {
    const t = await setup({ batching: false });
    t.deliver(chunk('r1', 0), 100);
    t.deliver(chunk('r1', 1), 100);
    t.deliver(result('r1', 2), 100);
    expect(t.frames.map((f) => f.event)).toEqual([EVENTS.response, EVENTS.response, EVENTS.response]);
    expect(t.frames.map((f) => (f.body as Response).seq)).toEqual([0, 1, 2]);
    t.frames[1]!.ack();
    expect(t.settled).toEqual(['r1/1']);
    t.endTick();
    expect(t.frames).toHaveLength(3);
  });

  it('puts fast-lane responses in the same frames, in arrival order, with nothing of theirs to settle', async () => {
    const t = await setup({ batching: true });
    t.deliver(chunk('d1', 0), 100);
    t.relay.relayFast(result('f1', 0), 100);
    t.deliver(result('d1', 1), 100);
    t.endTick();
    expect(t.frames).toHaveLength(1);
    expect((t.frames[0]!.body as Response[]).map((r) => r.id)).toEqual(['d1', 'f1', 'd1']);
    t.frames[0]!.ack();
    expect(t.settled).toEqual(['d1/0', 'd1/1']);
  });

  it('puts a fast response in its held ack (fast-answers) after the plugins and metrics saw it, with no frame; a later one in a frame', async () => {
    const acks: Ack[] = [];
    const held = createHeldAcks({ forward: () => {} });
    const seen: string[] = [];
    const tagger: GatewayPlugin = {
      name: 'tagger',
      onResponse: (response) => {
        seen.push(`${response.id}/${response.seq}`);
        return response.kind === 'result' ? { ...response, data: { tagged: true } } : response;
      },
    };
    const t = await setup({ batching: true, held, plugins: [tagger] });
    const claim = t.requests.claim('f1', 'fp');
    if (claim.kind === 'first') claim.start('fast.echo', Date.now() + 10_000);
    held.expect('f1', true);
    held.hold('f1', { ok: true, id: 'f1' }, (ack) => void acks.push(ack));
    t.relay.relayFast(result('f1', 0), 100);
    t.endTick();
    expect(t.frames).toHaveLength(0);
    expect(acks).toEqual([{ ok: true, id: 'f1', response: { ...result('f1', 0), data: { tagged: true } } }]);
    expect(seen).toEqual(['f1/0']);
    // The metrics finished the call, as for a response frame.
    expect(await t.metrics.render()).toMatch(/warren_gateway_requests_total\{type="fast.echo",outcome="ok"\} 1/);
    // Its ack is gone: what comes next goes in a frame.
    t.relay.relayFast(result('f1', 1), 100);
    t.endTick();
    expect(t.frames).toHaveLength(1);
    held.close();
    t.relay.close();
  });

  it('still disconnects a batching client that stops acking (ackTimeoutMs), and never one that only got fast responses', async () => {
    vi.useFakeTimers();
    const fastOnly = await setup({ batching: true, ackTimeoutMs: 1000 });
    fastOnly.relay.relayFast(chunk('f1', 0), 10);
    fastOnly.relay.relayFast(result('f1', 1), 10);
    fastOnly.endTick();
    const t = await setup({ batching: true, ackTimeoutMs: 1000 });
    t.deliver(chunk('r1', 0), 10);
    t.deliver(result('r1', 1), 10);
    t.endTick();
    expect(t.frames).toHaveLength(1);
    vi.advanceTimersByTime(800);
    expect(t.connClosed()).toBe(0);
    vi.advanceTimersByTime(1000);
    // Closed (again on every check until the socket's disconnect closes the relay).
    expect(t.connClosed()).toBeGreaterThanOrEqual(1);
    expect(t.settled).toEqual([]); // unacked: the broker keeps them for the next connection
    expect(fastOnly.connClosed()).toBe(0);
    t.relay.close();
    fastOnly.relay.close();
  });

  it('stops watching once the frame is acked', async () => {
    vi.useFakeTimers();
    const t = await setup({ batching: true, ackTimeoutMs: 1000 });
    t.deliver(chunk('r1', 0), 10);
    t.deliver(result('r1', 1), 10);
    t.endTick();
    vi.advanceTimersByTime(500);
    t.frames[0]!.ack();
    vi.advanceTimersByTime(5000);
    expect(t.connClosed()).toBe(0);
    t.relay.close();
  });

  it('drops what waits for the flush when the socket goes: unsettled, so the broker hands it to the next connection', async () => {
    const t = await setup({ batching: true });
    t.deliver(chunk('r1', 0), 10);
    t.deliver(chunk('r1', 1), 10);
    t.relay.close();
    t.endTick();
    expect(t.frames).toHaveLength(0);
    expect(t.settled).toEqual([]);
    await vi.waitFor(() => expect(t.subscriptionClosed()).toBe(true));
  });
});

describe('reply relay: cumulative acks (cumulative-acks)', () => {
  it('sends frames with seqs and no ack callback, and settles every frame up to the acknowledged seq', async () => {
    const t = await setup({ batching: false, sequenced: true });
    t.deliver(chunk('r1', 0));
    t.deliver(chunk('r1', 1));
    t.deliver(result('r1', 2));
    expect(t.frames.map((f) => [f.event, f.ack])).toEqual([
      [EVENTS.response, 1],
      [EVENTS.response, 2],
      [EVENTS.response, 3],
    ]);
    expect(t.relay.acked(2)).toBe(true);
    expect(t.settled).toEqual(['r1/0', 'r1/1']);
    expect(t.relay.acked(3)).toBe(true);
    expect(t.settled).toEqual(['r1/0', 'r1/1', 'r1/2']);
    t.relay.close();
  });

  it('gives a responses frame one seq, settling all of it; fast-lane frames get none', async () => {
    const t = await setup({ batching: true, sequenced: true });
    t.deliver(chunk('r1', 0), 10);
    t.deliver(result('r1', 1), 10);
    t.endTick();
    t.relay.relayFast(result('f1', 0), 10);
    t.endTick();
    expect(t.frames.map((f) => [f.event, f.ack])).toEqual([
      [EVENTS.responses, 1],
      [EVENTS.response, undefined],
    ]);
    t.relay.acked(1);
    expect(t.settled).toEqual(['r1/0', 'r1/1']);
    t.relay.close();
  });

  it('ignores bogus acks without throwing or settling: beyond the last seq, not an integer, backwards', async () => {
    const t = await setup({ batching: false, sequenced: true });
    t.deliver(chunk('r1', 0));
    t.deliver(chunk('r1', 1));
    for (const bogus of [3, 1e9, 1.5, -1, Number.NaN, Number.POSITIVE_INFINITY, '1', null, undefined, { n: 1 }, [1]]) {
      expect(t.relay.acked(bogus)).toBe(false);
    }
    expect(t.settled).toEqual([]);
    expect(t.relay.acked(2)).toBe(true);
    expect(t.relay.acked(1)).toBe(false); // backwards
    expect(t.relay.acked(2)).toBe(true); // the same again: nothing more to settle
    expect(t.settled).toEqual(['r1/0', 'r1/1']);
    t.relay.close();
  });

  it('watches the oldest unacknowledged seq: a client whose acks stop short of it is disconnected', async () => {
    vi.useFakeTimers();
    const t = await setup({ batching: false, sequenced: true, ackTimeoutMs: 1000 });
    t.deliver(chunk('r1', 0));
    vi.advanceTimersByTime(600);
    t.deliver(chunk('r1', 1));
    t.relay.acked(1); // the newer one stays unacknowledged
    vi.advanceTimersByTime(900);
    expect(t.connClosed()).toBe(0);
    vi.advanceTimersByTime(1000);
    expect(t.connClosed()).toBeGreaterThanOrEqual(1);
    expect(t.settled).toEqual(['r1/0']);
    const ok = await setup({ batching: false, sequenced: true, ackTimeoutMs: 1000 });
    ok.deliver(chunk('r2', 0));
    ok.relay.acked(1);
    vi.advanceTimersByTime(5000);
    expect(ok.connClosed()).toBe(0);
    t.relay.close();
    ok.relay.close();
  });

  it('carries a durable response in its held ack with the next seq, settled only once that seq is acknowledged', async () => {
    const written: Ack[] = [];
    let relay!: ReturnType<typeof createReplyRelay>;
    const held = createHeldAcks({ forward: (response, settle) => relay.send(response, settle), carry: (ack, settle) => relay.carry(ack, settle) });
    const t = await setup({ batching: false, sequenced: true, held });
    relay = t.relay;
    t.deliver(chunk('other', 0)); // seq 1
    held.expect('d1', false);
    held.hold('d1', { ok: true, id: 'd1' }, (ack) => void written.push(relay.stamp(ack)));
    t.deliver(chunk('d1', 0)); // rides in the ack: seq 2
    t.deliver(result('d1', 1)); // follows in a frame: seq 3
    expect(written).toEqual([{ ok: true, id: 'd1', response: chunk('d1', 0), seq: 2 }]);
    expect(t.frames.map((f) => [f.event, f.ack])).toEqual([
      [EVENTS.response, 1],
      [EVENTS.response, 3],
    ]);
    t.relay.acked(1);
    expect(t.settled).toEqual(['other/0']);
    t.relay.acked(3);
    expect(t.settled).toEqual(['other/0', 'd1/0', 'd1/1']);
    held.close();
    t.relay.close();
  });

  it('settles nothing it dropped: a response in an ack not yet written, or frames unacknowledged when the socket went', async () => {
    let relay!: ReturnType<typeof createReplyRelay>;
    const held = createHeldAcks({ forward: (response, settle) => relay.send(response, settle), carry: (ack, settle) => relay.carry(ack, settle) });
    const t = await setup({ batching: false, sequenced: true, held });
    relay = t.relay;
    t.deliver(chunk('r1', 0));
    held.expect('d1', false);
    t.deliver(result('d1', 0)); // before the confirm: waits for the ack
    held.close();
    t.relay.close();
    expect(t.relay.acked(1)).toBe(false);
    expect(t.settled).toEqual([]);
  });
});

describe('reply relay: data as bytes (capability data-bytes)', () => {
  const big = { text: 'y'.repeat(70_000) };
  const kept = (id: string) => decodeWithDataBytes(Buffer.from(JSON.stringify({ kind: 'result', id, seq: 0, attempt: 1, data: big })))!;

  it('asks the transport for kept bytes only for a client that asked, and sends them as dataJson in place of data', async () => {
    expect((await setup({ batching: true })).replyOptions()?.dataBytes).toBe(false);
    const t = await setup({ batching: true, sequenced: true, dataBytes: true });
    expect(t.replyOptions()?.dataBytes).toBe(true);
    t.deliver(kept('r1'), 70_100);
    t.endTick();
    expect(t.frames).toHaveLength(1);
    const body = t.frames[0]!.body as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['attempt', 'dataJson', 'id', 'kind', 'seq']);
    expect(JSON.parse(Buffer.from(body.dataJson as Uint8Array).toString())).toEqual(big);
    expect(t.settled).toEqual([]);
    expect(t.relay.acked(t.frames[0]!.ack)).toBe(true);
    expect(t.settled).toEqual(['r1/0']);
  });

  it('sends the parsed data once a plugin read it, and what a plugin put in its place', async () => {
    const reader: GatewayPlugin = { name: 'reader', onResponse: (r) => void (r.kind === 'result' && r.data) };
    const t = await setup({ batching: false, dataBytes: true, plugins: [reader] });
    t.deliver(kept('r1'), 70_100);
    expect(t.frames[0]!.body).toEqual({ kind: 'result', id: 'r1', seq: 0, attempt: 1, data: big });
    const redact: GatewayPlugin = { name: 'redact', onResponse: (r) => ({ ...r, data: 'redacted' }) as Response };
    const u = await setup({ batching: false, dataBytes: true, plugins: [redact] });
    u.deliver(kept('r2'), 70_100);
    expect(u.frames[0]!.body).toEqual({ kind: 'result', id: 'r2', seq: 0, attempt: 1, data: 'redacted' });
  });
});
