// The workloads every system runs, and the handler semantics each system's
// worker implements the same way: `echo` returns its payload, `stream`
// sends `n` chunks of `size` bytes of filler and returns `{ n }`.
export type Op = 'echo' | 'stream';

export interface Workload {
  name: string;
  op: Op;
  payload: Record<string, unknown>;
  /** Chunks one request streams back (0 for echo). */
  chunks: number;
  /** Per-call deadline; a call past it counts as an error, never a hang. */
  timeoutMs: number;
}

const filler = (bytes: number) => 'x'.repeat(bytes);

export const WORKLOADS: Record<string, Workload> = {
  'echo-100B': { name: 'echo-100B', op: 'echo', payload: { tag: 'bench', data: filler(78) }, chunks: 0, timeoutMs: 30_000 },
  'stream-10': { name: 'stream-10', op: 'stream', payload: { n: 10, size: 64 }, chunks: 10, timeoutMs: 30_000 },
  'stream-1000': { name: 'stream-1000', op: 'stream', payload: { n: 1000, size: 64 }, chunks: 1000, timeoutMs: 60_000 },
  'echo-1MB': { name: 'echo-1MB', op: 'echo', payload: { tag: 'bench', data: filler(1_000_000) }, chunks: 0, timeoutMs: 60_000 },
};

export interface StreamPayload {
  n: number;
  size: number;
}

/** The chunks `stream` sends, built once per size: the bench measures transport, not string building. */
export const streamChunks = (() => {
  const cache = new Map<number, string>();
  return ({ n, size }: StreamPayload): Array<{ i: number; d: string }> => {
    let d = cache.get(size);
    if (d === undefined) cache.set(size, (d = filler(size)));
    return Array.from({ length: n }, (_, i) => ({ i, d }));
  };
})();
