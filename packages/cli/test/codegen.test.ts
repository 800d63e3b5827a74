import { readFileSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Catalogue } from '@warren/protocol';
import { codegen, renderTypes, schemaToTs } from '@warren/cli';

const fixture = JSON.parse(readFileSync(new URL('./fixtures/catalogue.json', import.meta.url), 'utf8')) as Catalogue;

describe('JSON Schema → TypeScript', () => {
  it.each([
    [{ type: 'string' }, 'string'],
    [{ type: 'integer' }, 'number'],
    [{ type: ['string', 'null'] }, 'string | null'],
    [{ enum: ['a', 1, null] }, '"a" | 1 | null'],
    [{ const: true }, 'true'],
    [{ type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'number' }] } }, '(string | number)[]'],
    [{ type: 'array', prefixItems: [{ type: 'string' }, { type: 'number' }], items: false }, '[string, number]'],
    [{ type: 'object', additionalProperties: { type: 'number' } }, 'Record<string, number>'],
    [{ type: 'object' }, 'Record<string, unknown>'],
    [
      {
        allOf: [{ $ref: '#/$defs/A' }, { type: 'object', properties: { b: { type: 'number' } }, required: ['b'] }],
        $defs: { A: { type: 'object', properties: { a: { type: 'string' } } } },
      },
      '{\n  a?: string;\n} & {\n  b: number;\n}',
    ],
    [
      { type: 'object', properties: { 'odd-key': { type: 'string', description: 'Not an identifier.' } }, required: ['odd-key'] },
      '{\n  /** Not an identifier. */\n  "odd-key": string;\n}',
    ],
    [{ type: 'object', properties: { a: { type: 'string' } }, additionalProperties: true }, '{\n  a?: string;\n  [key: string]: unknown;\n}'],
    [{ anyOf: [{ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] }, { type: 'null' }] }, '{\n  a: string;\n} | null'],
    [{ $defs: { N: { type: 'object', properties: { next: { $ref: '#/$defs/N' } } } }, $ref: '#/$defs/N' }, '{\n  next?: unknown;\n}'],
    [{}, 'unknown'],
    [true, 'unknown'],
    [false, 'never'],
    [{ type: 'string', nullable: true }, 'string | null'],
    [{ $ref: 'http://elsewhere.example/s.json' }, 'unknown'],
  ])('%j → %s', (schema, expected) => {
    expect(schemaToTs(schema as never)).toBe(expected);
  });
});

describe('rendering a catalogue', () => {
  it('matches the committed generated module (regenerate: UPDATE_GENERATED=1 npx vitest run packages/cli)', async () => {
    const rendered = renderTypes(fixture, { source: 'test/fixtures/catalogue.json' });
    const file = new URL('./generated/backend-types.ts', import.meta.url);
    if (process.env.UPDATE_GENERATED) (await import('node:fs')).writeFileSync(file, rendered.code);
    expect(rendered.code).toBe(readFileSync(file, 'utf8'));
    expect(rendered.types).toEqual(['chat', 'longTask', 'primes', 'testRequest']);
  });

  it('leaves conflicting types unknown and says so', () => {
    const conflicted: Catalogue = {
      ...fixture,
      types: fixture.types.map((t) => (t.type === 'chat' ? { type: 'chat', services: t.services, instances: t.instances, conflict: true } : t)),
    };
    const rendered = renderTypes(conflicted, { source: 'x', name: 'Api', only: ['chat'] });
    expect(rendered.conflicts).toEqual(['chat']);
    expect(rendered.code).toContain('export type ChatPayload = unknown;');
    expect(rendered.code).toContain('CONFLICT');
    expect(rendered.code).toContain('export type Api = {\n  chat: { payload: ChatPayload; chunk: ChatChunk; result: ChatResult };\n};');
  });
});

describe('warren codegen', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));
  const serve = async (body: unknown, status = 200) => {
    server = createServer((req, res) => {
      res.writeHead(req.url === '/registry' ? status : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
  };

  it('writes the module for the live catalogue of GET /registry', async () => {
    const url = await serve(fixture);
    const file = join(mkdtempSync(join(tmpdir(), 'warren-codegen-')), 'nested', 'backend-types.ts');
    const { err, io: sink } = io();
    expect(await codegen({ url, out: file, name: 'BackendTypes', only: undefined }, sink)).toBe(0);
    const code = readFileSync(file, 'utf8');
    expect(code).toContain(`from ${url}/registry`);
    expect(code).toContain('chat: { payload: ChatPayload; chunk: ChatChunk; result: ChatResult };');
    expect(err).toEqual([`wrote ${file}: 4 request type(s) (chat, longTask, primes, testRequest)`]);
  });

  it('prints to stdout without --out, and refuses types nobody announces', async () => {
    const url = await serve(fixture);
    const { out, io: sink } = io();
    expect(await codegen({ url, out: undefined, name: 'BackendTypes', only: ['primes'] }, sink)).toBe(0);
    expect(out.join('\n')).toContain('primes: { payload: PrimesPayload');
    expect(out.join('\n')).not.toContain('ChatPayload');
    const { err, io: sink2 } = io();
    expect(await codegen({ url, out: undefined, name: 'BackendTypes', only: ['nope'] }, sink2)).toBe(1);
    expect(err[0]).toMatch(/^NO_HANDLER: No live instance announces nope/);
  });

  it('fails with DISCONNECTED when nothing listens, and INTERNAL for something that is not a registry', async () => {
    const { err, io: sink } = io();
    expect(await codegen({ url: 'http://127.0.0.1:9', out: undefined, name: 'T', only: undefined }, sink, 500)).toBe(1);
    expect(err[0]).toMatch(/^DISCONNECTED: Cannot reach a Warren gateway at http:\/\/127\.0\.0\.1:9/);
    const url = await serve({ hello: 'world' });
    const { err: err2, io: sink2 } = io();
    expect(await codegen({ url, out: undefined, name: 'T', only: undefined }, sink2)).toBe(1);
    expect(err2[0]).toMatch(/^INTERNAL: .*did not return a registry catalogue/);
  });
});
