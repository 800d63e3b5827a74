// The per-request logger is a pino child made on first use: a request that
// logs nothing costs no child, one that logs carries requestId, type and
// traceparent as before.
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import { connect, setup } from './support.ts';

/** A logger whose children (and theirs) record the bindings they were made with; lines land in `lines`. */
const countingLog = (level: string) => {
  const made: Record<string, unknown>[] = [];
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  // pino makes a child with its parent as prototype: patching the root's
  // `child` patches every descendant's.
  const root = pino({ level }, sink);
  const child = root.child;
  root.child = function (this: Logger, bindings: Record<string, unknown>, options?: object) {
    made.push(bindings);
    return child.call(this, bindings, options);
  } as Logger['child'];
  return { log: root, requestChildren: () => made.filter((b) => 'requestId' in b), lines };
};

describe('the per-request logger', () => {
  it('is not made for a request that logs nothing (LOG_LEVEL=warn)', async () => {
    const { log, requestChildren } = countingLog('warn');
    const { gateway } = await setup({ log });
    const client = connect(gateway);
    await client.ready;
    for (const id of ['r1', 'r2', 'r3']) {
      expect(await client.request({ id, type: 'echo', payload: { n: 1 } })).toMatchObject({ ok: true });
      expect(await client.final(id)).toMatchObject({ kind: 'result' });
    }
    expect(requestChildren()).toEqual([]);
  });

  it('is made once a request logs, with its id, type and traceparent on the line', async () => {
    const { log, requestChildren, lines } = countingLog('info');
    const { gateway } = await setup({ log });
    const client = connect(gateway);
    await client.ready;
    expect(await client.request({ id: 'r1', type: 'echo', payload: { n: 1 } })).toMatchObject({ ok: true });
    expect(requestChildren()).toHaveLength(1);
    const accepted = lines.find((line) => line.msg === 'request accepted');
    expect(accepted).toMatchObject({ requestId: 'r1', type: 'echo' });
    expect(accepted?.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
  });

  it('is made at LOG_LEVEL=warn for a request that is refused with a warning', async () => {
    const { log, requestChildren, lines } = countingLog('warn');
    const { gateway } = await setup({ log });
    const client = connect(gateway);
    await client.ready;
    const nested = JSON.parse(`${'['.repeat(200)}${']'.repeat(200)}`) as unknown;
    expect(await client.request({ id: 'deep', type: 'echo', payload: nested })).toMatchObject({ ok: false });
    expect(await client.request({ id: 'ok', type: 'echo', payload: 1 })).toMatchObject({ ok: true });
    expect(await client.request({ id: 'ok', type: 'echo', payload: 2 })).toMatchObject({ ok: false, error: { code: 'DUPLICATE_ID' } });
    expect(requestChildren().map((b) => b.requestId)).toEqual(['ok']);
    expect(lines.find((line) => line.msg === 'request id reused for a different request')).toMatchObject({ requestId: 'ok', type: 'echo' });
  });
});
