import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  checkAgainstSchema,
  createWarrenError,
  ERROR_CODES,
  fromWireError,
  isWarrenError,
  parseCancelFrame,
  parseRequestFrame,
  parseResponse,
  toWireError,
  topology,
} from '@warren/protocol';
import { exportJson, renderJson } from '../src/export.ts';

describe('JSON export for other languages', () => {
  it('is committed and up to date with the TypeScript source (run `npm run export-json`)', () => {
    for (const [name, value] of Object.entries(exportJson())) {
      const committed = readFileSync(new URL(`../json/${name}`, import.meta.url), 'utf8');
      expect(committed, `packages/protocol/json/${name} is stale`).toBe(renderJson(value));
    }
  });

  it('lists every error code with a description', () => {
    for (const code of [
      'NO_HANDLER',
      'TIMEOUT',
      'CANCELLED',
      'INVALID_REQUEST',
      'INVALID_PAYLOAD',
      'WORKER_ERROR',
      'BROKER_UNAVAILABLE',
      'UNAUTHORIZED',
      'FORBIDDEN',
      'RATE_LIMITED',
      'PAYLOAD_TOO_LARGE',
    ]) {
      expect(ERROR_CODES).toHaveProperty(code);
    }
  });
});

describe('parseRequestFrame', () => {
  it('accepts a well-formed request and defaults the payload to null', () => {
    expect(parseRequestFrame({ id: 'r-1', type: 'testRequest' })).toEqual({ ok: true, value: { id: 'r-1', type: 'testRequest', payload: null } });
  });

  it.each([
    ['not an object', 'hello', '(root)'],
    ['missing id', { type: 'x', payload: 1 }, 'id'],
    ['bad type name', { id: 'a', type: '1bad type', payload: 1 }, 'type'],
    ['negative timeout', { id: 'a', type: 'x', timeoutMs: -5 }, 'timeoutMs'],
    ['id with spaces', { id: 'a b', type: 'x' }, 'id'],
  ])('rejects %s with INVALID_REQUEST naming the field', (_, frame, path) => {
    const parsed = parseRequestFrame(frame);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error.code).toBe('INVALID_REQUEST');
    expect((parsed.error.details?.issues as { path: string }[]).map((i) => i.path)).toContain(path);
  });
});

describe('responses and cancels', () => {
  it('accepts the three response kinds and rejects unknown ones', () => {
    expect(parseResponse({ kind: 'chunk', id: 'a', seq: 0, attempt: 1, data: { x: 1 } }).ok).toBe(true);
    expect(parseResponse({ kind: 'result', id: 'a', seq: 3, attempt: 2, data: null }).ok).toBe(true);
    expect(parseResponse({ kind: 'error', id: 'a', seq: 0, attempt: 1, error: { code: 'TIMEOUT', message: 'late' } }).ok).toBe(true);
    expect(parseResponse({ kind: 'error', id: 'a', seq: 0, attempt: 1, error: { code: 'NOPE', message: 'x' } }).ok).toBe(false);
    expect(parseResponse({ kind: 'gossip', id: 'a', seq: 0, attempt: 1 }).ok).toBe(false);
    expect(parseResponse({ kind: 'chunk', id: 'a', seq: -1, attempt: 1 }).ok).toBe(false);
    expect(parseResponse({ kind: 'chunk', id: 'a', seq: 0, attempt: 0 }).ok).toBe(false);
  });

  it('requires id and type on a cancel', () => {
    expect(parseCancelFrame({ id: 'a', type: 'b' }).ok).toBe(true);
    expect(parseCancelFrame({ id: 'a' }).ok).toBe(false);
  });
});

describe('errors as values', () => {
  it('keeps code and message of Warren errors and never exposes a stack', () => {
    const error = createWarrenError('FORBIDDEN', 'not yours', { details: { type: 'x' } });
    expect(isWarrenError(error)).toBe(true);
    expect(toWireError(error)).toEqual({ code: 'FORBIDDEN', message: 'not yours', details: { type: 'x' } });
    const plain = toWireError(new TypeError('boom'), 'WORKER_ERROR');
    expect(plain).toEqual({ code: 'WORKER_ERROR', message: 'boom' });
    expect(JSON.stringify(plain)).not.toContain('at ');
  });

  it('round-trips through the wire', () => {
    const back = fromWireError({ code: 'TIMEOUT', message: 'late' });
    expect(back).toBeInstanceOf(Error);
    expect(back.code).toBe('TIMEOUT');
    expect(isWarrenError(back)).toBe(true);
    expect(isWarrenError(new Error('x'))).toBe(false);
  });
});

describe('topology', () => {
  it('derives every name from the namespace', () => {
    const t = topology('app1');
    expect([t.requestsExchange, t.controlExchange, t.requestQueue('chat'), t.replyQueue('s1')]).toEqual([
      'app1.requests',
      'app1.control',
      'app1.req.chat',
      'app1.reply.s1',
    ]);
    expect(t.requestQueueArguments()).toMatchObject({ 'x-queue-type': 'quorum', 'x-dead-letter-exchange': 'app1.dead' });
  });

  it('refuses a namespace that would make invalid names', () => {
    expect(() => topology('Bad Name')).toThrow(/namespace/);
  });
});

describe('checkAgainstSchema on payloads wrong in many places (issue 12, finding 1)', () => {
  const schema = z.object({ history: z.array(z.object({ role: z.enum(['user', 'assistant']), text: z.string() })).max(5000) });

  it('answers from the first items, fast, with at most 20 issues and a partial count', () => {
    const started = performance.now();
    const parsed = checkAgainstSchema(schema, 'chat', { history: Array.from({ length: 100_000 }, () => ({})) });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(parsed).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD', details: { issueCount: 512, partial: true } } });
    if (!parsed.ok) expect((parsed.error.details?.issues as unknown[]).length).toBe(20);
  });

  it('still checks the whole payload when the first items pass', () => {
    const history = Array.from({ length: 3000 }, () => ({ role: 'user', text: 'x' }));
    expect(checkAgainstSchema(schema, 'chat', { history })).toMatchObject({ ok: true });
    history[2500] = { role: 'robot', text: 'x' };
    expect(checkAgainstSchema(schema, 'chat', { history })).toMatchObject({
      ok: false,
      error: { details: { issues: [{ path: 'history.2500.role' }], issueCount: 1 } },
    });
    const tooMany = Array.from({ length: 6000 }, () => ({ role: 'user', text: 'x' }));
    expect(checkAgainstSchema(schema, 'chat', { history: tooMany })).toMatchObject({ ok: false, error: { details: { issues: [{ path: 'history' }] } } });
  });
});
