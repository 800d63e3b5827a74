// The gateway serves the app's precompressed files (written at build) with
// Content-Encoding when the browser accepts them, and the plain file otherwise.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptsEncoding, createHttpHandler } from '../src/http.ts';

const dir = mkdtempSync(join(tmpdir(), 'warren-static-'));
const JS = 'console.log("hello");'.repeat(100);
let server: Server;
let port = 0;

const get = (path: string, acceptEncoding?: string) =>
  new Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
    const req = request({ port, path, headers: acceptEncoding ? { 'accept-encoding': acceptEncoding } : {} }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
    });
    req.on('error', reject);
    req.end();
  });

beforeAll(async () => {
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'assets/app.js'), JS);
  writeFileSync(join(dir, 'assets/app.js.gz'), gzipSync(JS));
  writeFileSync(join(dir, 'assets/app.js.br'), brotliCompressSync(JS));
  writeFileSync(join(dir, 'index.html'), '<!doctype html>');
  const handler = createHttpHandler({ staticDir: dir, ready: () => ({ ready: true, broker: 'up', topology: true, replyConsumersDown: 0 }) });
  server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('precompressed static files', () => {
  it('serves brotli first, then gzip, each with Content-Encoding and Vary', async () => {
    const br = await get('/assets/app.js', 'gzip, deflate, br');
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers.vary).toBe('accept-encoding');
    expect(br.body.length).toBe(Number(br.headers['content-length']));
    const gz = await get('/assets/app.js', 'gzip');
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.body.length).toBeLessThan(JS.length);
  });

  it('serves the plain file without Accept-Encoding, or with br;q=0', async () => {
    const plain = await get('/assets/app.js');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toBe(JS);
    expect((await get('/assets/app.js', 'br;q=0')).headers['content-encoding']).toBeUndefined();
  });

  it('leaves files without compressed siblings alone', async () => {
    const html = await get('/', 'br');
    expect(html.headers['content-encoding']).toBeUndefined();
    expect(html.headers.vary).toBeUndefined();
  });

  it('parses Accept-Encoding q-values', () => {
    expect(acceptsEncoding('gzip;q=0.5, br', 'br')).toBe(true);
    expect(acceptsEncoding('gzip;q=0', 'gzip')).toBe(false);
    expect(acceptsEncoding(undefined, 'gzip')).toBe(false);
    expect(acceptsEncoding('identity', 'br')).toBe(false);
  });
});
