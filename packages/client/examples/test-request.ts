// Calls the `testRequest` worker through a running gateway, twice: once with
// callbacks, once as a stream.
//   bun packages/client/examples/test-request.ts
//   npx tsx packages/client/examples/test-request.ts
// WARREN_URL overrides the gateway URL (default http://localhost:3000).
import { createBackend, isWarrenError } from '@warren/client';

interface Chunk {
  seq: number;
  text: string;
}
type Summary = Record<string, unknown>;

const backend = createBackend({ url: process.env.WARREN_URL ?? 'http://localhost:3000' });
backend.subscribe(() => console.log('status:', backend.getSnapshot()));

try {
  const summary = await backend.makeBackendRequest<Summary, Chunk>(
    'testRequest',
    { count: 3, delayMs: 100 },
    {
      timeoutMs: 10_000,
      onChunk: (chunk, { seq, attempt }) => console.log(`chunk seq=${seq} attempt=${attempt}: ${chunk.text}`),
      onRestart: (attempt) => console.log(`a worker was lost; attempt ${attempt} starts over`),
    },
  );
  console.log('result:', summary);

  const stream = backend.stream<Chunk, Summary>('testRequest', { count: 3, delayMs: 100 });
  for await (const chunk of stream) console.log('streamed:', chunk.text);
  console.log('stream result:', await stream.result);
} catch (error) {
  if (!isWarrenError(error)) throw error;
  // Programs match on the code; the message is for people.
  console.error(`failed: ${error.code}: ${error.message}`);
  process.exitCode = 1;
} finally {
  backend.close();
}
