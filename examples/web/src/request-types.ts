// The request types the console offers, with a payload to start from. A
// static list of the demo workers for now; a live service registry will
// replace it.
export interface RequestTypeInfo {
  type: string;
  description: string;
  payload: unknown;
  /** Who serves it in the demo. */
  worker: 'Node' | 'Python';
}

export const REQUEST_TYPES: RequestTypeInfo[] = [
  { type: 'testRequest', description: 'Streams `count` chunks, `delayMs` apart, then a summary.', payload: { count: 5, delayMs: 300 }, worker: 'Node' },
  { type: 'longTask', description: 'Steps through a long job with progress; stops when cancelled.', payload: { steps: 10, stepMs: 400 }, worker: 'Node' },
  { type: 'chat', description: 'A scripted assistant reply, streamed token by token.', payload: { message: 'Hello, Warren!' }, worker: 'Python' },
  { type: 'primes', description: 'Counts primes up to `limit` on a CPU-bound worker, with progress.', payload: { limit: 5_000_000 }, worker: 'Python' },
];
