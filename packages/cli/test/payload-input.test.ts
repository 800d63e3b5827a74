// `warren call type -` and `@file`: parsed into where the payload comes from,
// then read and checked as JSON with errors that name the source.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../src/args.ts';
import { readPayload } from '../src/payload-input.ts';

async function* chunks(...parts: string[]) {
  for (const p of parts) yield Buffer.from(p);
}

describe('payload from stdin or a file', () => {
  it('parses - and @file', () => {
    expect(parseArgs(['call', 'x', '-'])).toMatchObject({ kind: 'call', payloadFrom: { stdin: true } });
    expect(parseArgs(['call', 'x', '@in.json'])).toMatchObject({ kind: 'call', payloadFrom: { file: 'in.json' } });
    expect(parseArgs(['call', 'x', '@'])).toMatchObject({ kind: 'usage-error' });
    expect(parseArgs(['call', 'x', '{"a":1}'])).toMatchObject({ kind: 'call', payload: { a: 1 } });
  });

  it('reads JSON from stdin in pieces, and empty input as null', async () => {
    expect(await readPayload({ stdin: true }, chunks('{"count"', ':3}\n'))).toEqual({ ok: true, payload: { count: 3 } });
    expect(await readPayload({ stdin: true }, chunks(''))).toEqual({ ok: true, payload: null });
    expect(await readPayload({ stdin: true }, chunks('{nope'))).toMatchObject({ ok: false, message: expect.stringMatching(/^payload from stdin is not JSON/) });
  });

  it('reads a file and names a missing one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-payload-'));
    writeFileSync(join(dir, 'p.json'), '[1,2]');
    expect(await readPayload({ file: join(dir, 'p.json') })).toEqual({ ok: true, payload: [1, 2] });
    expect(await readPayload({ file: join(dir, 'missing.json') })).toMatchObject({
      ok: false,
      message: expect.stringContaining('cannot read the payload from'),
    });
  });
});
