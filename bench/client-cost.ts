// The client's CPU per request, in one process and without a socket: C
// backends of @warren/client (one per virtual user, as the bench's load
// client has) behind a fake socket that answers as the gateway does, from a
// later macrotask (setImmediate, as a WebSocket read would), closed loop at
// C in flight. Socket.IO's encoding is left out: the figure is what Warren's
// own code costs on top of it. Used for decision 0019 ("sixth round"); run it
// for two checkouts, alternating:
//   bun bench/client-cost.ts [--fast] [--late] [--stream 10] [--root dir] [--n 100000] [--c 64] [--rounds 5]
// Answers: in the request's ack (fast-answers, or a durable answer with its
// seq: cumulative-acks); --late: a plain ack, then a `response` frame (with a
// seq unless --fast), as when the answer misses the gateway's ack hold.
// --stream n: n chunks then the result; the first in the ack, the rest in
// `responses` frames of up to 4, one per macrotask. --root: the client code
// of another checkout (an A/B "before" tree), run by this harness.
import { join } from 'node:path';
import { numberArg, rootArg } from './lib/in-process-ab.ts';

const fast = process.argv.includes('--fast');
const late = process.argv.includes('--late');
const chunks = numberArg('stream', 0);
const root = rootArg('root');
const { createBackend, createMemorySessionStore } = (await import(join(root, 'packages/client/src/index.ts'))) as typeof import('@warren/client');
const total = numberArg('n', 100_000);
const concurrency = numberArg('c', 64);
const rounds = numberArg('rounds', 5);

type Listener = (...args: unknown[]) => void;
const SESSION = {
  sessionId: 's'.repeat(22),
  token: 't'.repeat(40),
  limits: { maxPayloadBytes: 1_048_576 },
  capabilities: ['retained-calls', 'queue-positions', 'response-batches', 'request-batches', 'fast-answers', 'cumulative-acks', 'data-bytes'],
};
const worker = { instance: 'bench-worker-1', language: 'typescript', service: 'bench', startedAt: 1_700_000_000_000 };
const payload = { text: 'x'.repeat(88) }; // ≈ 100 bytes, as echo-100B
const chunkData = { i: 0, text: 'y'.repeat(64) };

/** A socket that plays the gateway: the request's ack and its responses, each from a later macrotask. */
const fakeSocket = () => {
  const listeners = new Map<string, Listener>();
  let seq = 0;
  const fire = (event: string, ...args: unknown[]) => listeners.get(event)?.(...args);
  const envelope = (id: string, n: number) =>
    n < chunks
      ? { kind: 'chunk', id, seq: n, attempt: 1, ...(n === 0 ? { worker } : {}), data: chunkData }
      : { kind: 'result', id, seq: n, attempt: 1, ...(n === 0 ? { worker } : {}), data: chunks > 0 ? { n: chunks } : payload };
  const answer = (body: { id: string }, ack: Listener) => {
    const { id } = body;
    if (late) {
      ack({ ok: true, id });
      setImmediate(() => (fast ? fire('response', envelope(id, 0)) : fire('response', envelope(id, 0), ++seq)));
    } else ack(fast ? { ok: true, id, response: envelope(id, 0) } : { ok: true, id, seq: ++seq, response: envelope(id, 0) });
    // The rest of a stream: `responses` frames of up to 4, one per macrotask.
    const rest = (from: number) => {
      if (from > chunks) return;
      const batch = [];
      for (let n = from; n <= chunks && n < from + 4; n++) batch.push(envelope(id, n));
      if (fast) fire('responses', batch);
      else fire('responses', batch, ++seq);
      setImmediate(rest, from + 4);
    };
    setImmediate(rest, 1);
  };
  const socket = {
    connected: true,
    active: true,
    on: (event: string, listener: Listener) => void listeners.set(event, listener),
    off: (event: string) => void listeners.delete(event),
    emit: (event: string, ...args: unknown[]) => {
      const ack = args.at(-1) as Listener;
      if (event === 'request') setImmediate(answer, args[0] as { id: string }, ack);
      else if (event === 'requests') setImmediate(() => ack((args[0] as Array<{ id: string }>).map((body) => ({ ok: true, id: body.id }))));
    },
    connect: () => {},
    disconnect: () => {},
  };
  // The session frame after connect, as the gateway sends it.
  setImmediate(() => fire('session', SESSION));
  return socket;
};

const backends = Array.from({ length: concurrency }, () =>
  createBackend({ url: 'http://127.0.0.1:1', sessionStore: createMemorySessionStore(), connect: fakeSocket as never, defaultTimeoutMs: 120_000 }),
);
await new Promise((resolve) => setTimeout(resolve, 20));

const round = async (n: number): Promise<number> => {
  let started = 0;
  const noop = () => {};
  const user = async (vu: number) => {
    while (started < n) {
      started += 1;
      await backends[vu]!.makeBackendRequest(chunks > 0 ? 'stream' : 'echo', chunks > 0 ? { n: chunks, size: 64 } : payload, {
        onChunk: noop,
        timeoutMs: 30_000,
        ...(fast ? { fast } : {}),
      });
    }
  };
  const cpu = process.cpuUsage();
  await Promise.all(Array.from({ length: concurrency }, (_, vu) => user(vu)));
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / n;
};

await round(Math.min(total, 20_000)); // warm-up
const perCall: number[] = [];
for (let r = 0; r < rounds; r++) perCall.push(await round(total));
perCall.sort((a, b) => a - b);
const median = perCall[Math.floor(perCall.length / 2)]!;
console.log(
  JSON.stringify({
    root,
    mode: `${fast ? 'fast' : 'durable'}${late ? ' late' : ''}${chunks > 0 ? ` stream-${chunks}` : ''}`,
    c: concurrency,
    n: total,
    usPerCall: Number(median.toFixed(2)),
    rounds: perCall.map((x) => Number(x.toFixed(2))),
  }),
);
for (const backend of backends) void backend.close();
process.exit(0);
