import { describe, expect, it } from 'vitest';
import { parseArgs } from '@warren/cli';

describe('warren CLI arguments', () => {
  it('parses a call with payload, url and timeout', () => {
    expect(parseArgs(['call', 'testRequest', '{"count":3}', '--url', 'http://h:1', '--timeout=500'])).toEqual({
      kind: 'call',
      type: 'testRequest',
      payload: { count: 3 },
      url: 'http://h:1',
      timeoutMs: 500,
      token: undefined,
    });
  });

  it('defaults the payload to null and the url to WARREN_URL or localhost:3000', () => {
    expect(parseArgs(['call', 'x'])).toMatchObject({ payload: null, url: 'http://localhost:3000', timeoutMs: undefined });
    expect(parseArgs(['call', 'x'], { WARREN_URL: 'http://e:2' })).toMatchObject({ url: 'http://e:2' });
  });

  it('takes a token from --token, else WARREN_TOKEN', () => {
    expect(parseArgs(['call', 'x', '--token', 'jwt-1'], { WARREN_TOKEN: 'env' })).toMatchObject({ token: 'jwt-1' });
    expect(parseArgs(['call', 'x'], { WARREN_TOKEN: 'env' })).toMatchObject({ token: 'env' });
    expect(parseArgs(['call', 'x'])).toMatchObject({ token: undefined });
  });

  it.each([
    [['call'], /request type/],
    [['call', 'x', '{bad'], /not JSON/],
    [['call', 'x', '--timeout', 'soon'], /--timeout/],
    [['call', 'x', '--url'], /needs a value/],
    [['frobnicate'], /unknown command/],
    [['call', 'x', '--nope'], /unknown option/],
  ])('reports %j as a usage error', (argv, message) => {
    const cmd = parseArgs(argv);
    expect(cmd.kind).toBe('usage-error');
    if (cmd.kind === 'usage-error') expect(cmd.message).toMatch(message);
  });

  it('parses codegen with url, out, name and a type filter', () => {
    expect(parseArgs(['codegen', '--url', 'http://h:1', '--out', 'src/backend-types.ts', '--name=Api', '--types', 'chat, primes'])).toEqual({
      kind: 'codegen',
      url: 'http://h:1',
      out: 'src/backend-types.ts',
      name: 'Api',
      only: ['chat', 'primes'],
      token: undefined,
    });
    expect(parseArgs(['codegen'], { WARREN_URL: 'http://e:2' })).toEqual({
      kind: 'codegen',
      url: 'http://e:2',
      out: undefined,
      name: 'BackendTypes',
      only: undefined,
      token: undefined,
    });
    expect(parseArgs(['codegen', '--token', 'jwt'])).toMatchObject({ kind: 'codegen', token: 'jwt' });
  });

  it.each([
    [['codegen', 'extra'], /no arguments/],
    [['codegen', '--name', 'not-an-identifier'], /--name/],
    [['codegen', '--out'], /needs a value/],
    [['call', 'x', '--out', 'f.ts'], /option of codegen/],
  ])('reports %j as a usage error', (argv, message) => {
    const cmd = parseArgs(argv);
    expect(cmd.kind).toBe('usage-error');
    if (cmd.kind === 'usage-error') expect(cmd.message).toMatch(message);
  });

  it('shows help', () => {
    expect(parseArgs([])).toEqual({ kind: 'help' });
    expect(parseArgs(['--help'])).toEqual({ kind: 'help' });
  });
});
