// `warren call` as a person uses it against a real gateway and worker:
// payload from stdin and from @file, Ctrl-C cancels the call at the worker,
// and a gateway that wants a token says so instead of "cannot reach".
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JWT_ENV } from '../security/tokens.ts';
import { root, startGateway, startNodeWorker, killAll, type Proc } from '../support/processes.ts';
import { deleteNamespace } from '../support/rabbit.ts';

const namespace = `cli${Math.random().toString(36).slice(2, 8)}`;
const dir = mkdtempSync(join(tmpdir(), 'warren-cli-'));
let url = '';
let worker: Proc;

const warren = (args: string[], { stdin, interruptOn }: { stdin?: string; interruptOn?: string } = {}) =>
  new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    const child = spawn(process.execPath, [join(root, 'packages/cli/bin/warren.mjs'), ...args], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (interruptOn !== undefined && out.includes(interruptOn) && !child.killed) child.kill('SIGINT');
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => resolve({ code, out, err }));
    child.stdin.end(stdin ?? '');
  });

beforeAll(async () => {
  ({ url } = await startGateway('node', namespace));
  worker = await startNodeWorker('node', namespace);
});
afterAll(async () => {
  await killAll();
  await deleteNamespace(namespace);
  rmSync(dir, { recursive: true, force: true });
});

describe('warren call', () => {
  it('reads the payload from stdin with -', async () => {
    const { code, out } = await warren(['call', 'testRequest', '-', '--url', url], { stdin: '{"count":2,"delayMs":0}' });
    expect(code).toBe(0);
    expect(out.trim().split('\n')).toHaveLength(3);
    expect(JSON.parse(out.trim().split('\n').at(-1)!)).toMatchObject({ count: 2 });
  });

  it('reads the payload from a file with @file, and names a missing file', async () => {
    const file = join(dir, 'payload.json');
    // Larger than argv comfortably takes: whitespace is still JSON.
    writeFileSync(file, `${' '.repeat(300_000)}{"count":1,"delayMs":0,"tag":"from-file"}`);
    const { code, out } = await warren(['call', 'testRequest', `@${file}`, '--url', url]);
    expect(code).toBe(0);
    expect(JSON.parse(out.trim().split('\n')[0]!)).toMatchObject({ seq: 0, tag: 'from-file' });
    const missing = await warren(['call', 'testRequest', `@${join(dir, 'nope.json')}`, '--url', url]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/cannot read the payload from .*nope\.json/);
  });

  it('cancels the call at the worker on Ctrl-C', async () => {
    const { code, err } = await warren(['call', 'longTask', '{"steps":100,"stepMs":100}', '--url', url], { interruptOn: '"step"' });
    expect(code).toBe(130);
    expect(err).toContain('CANCELLED');
    const line = await worker.waitFor((l) => l.msg === 'request finished' && l.type === 'longTask', 10_000);
    expect(line.outcome).toBe('CANCELLED');
  });

  it('names an authentication failure as such', async () => {
    const secured = await startGateway('node', namespace, { ...JWT_ENV, ALLOW_ANONYMOUS: 'false' });
    const { code, err } = await warren(['call', 'testRequest', '{}', '--url', secured.url]);
    expect(code).toBe(1);
    expect(err).toMatch(/^UNAUTHORIZED: .*--token/m);
    expect(err).not.toContain('Cannot reach');
  });
});
