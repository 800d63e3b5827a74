// The zod-free client parsers (frames.ts) decide exactly as the zod schemas
// that define the protocol: same verdict and same output on every response
// vector (spec/v<N>/vectors/responses.json) and on hand-made frames of every kind.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as envelopes from '../src/envelopes.ts';
const { ackSchema, responseSchema, responsesFrameSchema, sessionFrameSchema } = envelopes;
import { registryAckSchema as registryAck } from '../src/registry.ts';
import { parseAck, parseRegistryAck, parseResponse, parseResponsesFrame, parseSessionFrame } from '../src/frames.ts';
import { schemaParser, type Parsed } from '../src/parse.ts';
import type { z } from 'zod';
import { VECTOR_DIR } from './vector-runner.ts';

const vectors = JSON.parse(readFileSync(new URL('responses.json', VECTOR_DIR), 'utf8')).vectors as { name: string; value: unknown }[];
const batchVectors = JSON.parse(readFileSync(new URL('response-batches.json', VECTOR_DIR), 'utf8')).vectors as { name: string; value: unknown }[];
const fastAckVectors = JSON.parse(readFileSync(new URL('fast-answers.json', VECTOR_DIR), 'utf8')).vectors as { name: string; value: unknown }[];

const verdict = (p: Parsed<unknown>) =>
  p.ok ? { ok: true, value: p.value } : { ok: false, paths: (p.error.details?.issues as { path: string }[]).map((i) => i.path).sort() };
const same = (hand: (v: unknown) => Parsed<unknown>, schema: z.ZodType, value: unknown) => {
  const zod = verdict(schemaParser(schema, 'x')(value));
  const mine = verdict(hand(value));
  expect(mine.ok, JSON.stringify(value)).toBe(zod.ok);
  if (zod.ok) expect(mine).toEqual(zod);
  else expect(mine.paths?.length).toBeGreaterThan(0);
};

const catalogue = {
  protocolVersion: 1,
  generatedAt: 1,
  instances: [
    {
      service: 's',
      instanceId: 'i',
      language: 'python',
      sdkVersion: '1',
      concurrency: 4,
      heartbeatMs: 5000,
      ttlMs: 15000,
      startedAt: 1,
      lastSeenAt: 2,
      expiresAt: 3,
      types: ['a'],
      extra: 1,
    },
  ],
  types: [{ type: 'a', services: ['s'], instances: ['i'], conflict: false, payload: { type: 'object' }, result: true }],
  conflicts: [{ type: 'b', message: 'm', variants: [{ services: ['s'], instances: ['i'], chunk: {} }] }],
};

describe('zod-free client frame parsers', () => {
  it('agree with the zod response schema on every response vector', () => {
    expect(vectors.length).toBeGreaterThan(10);
    for (const v of vectors) same(parseResponse, responseSchema, v.value);
  });

  it('agree with the zod responses frame schema on every response-batches vector', () => {
    expect(batchVectors.length).toBeGreaterThan(10);
    for (const v of batchVectors) same(parseResponsesFrame, responsesFrameSchema, v.value);
  });

  it("agree with the zod ack schema on every fast-answers vector, keeping the ack's response as it came", () => {
    expect(fastAckVectors.length).toBeGreaterThan(10);
    for (const v of fastAckVectors) same(parseAck, ackSchema, v.value);
    const response = { kind: 'result', id: 'r-1', seq: 0, attempt: 1, data: { a: 1 } };
    expect(parseAck({ ok: true, id: 'r-1', response })).toEqual({ ok: true, value: { ok: true, id: 'r-1', response } });
  });

  it('keep the worker hop on the first response of an attempt, as the zod schema does (the hop timeline reads it)', () => {
    const hop = { instance: 'demo-node@host:1', language: 'typescript', service: 'demo', startedAt: 1 };
    const first = { kind: 'chunk', id: 'r1', seq: 0, attempt: 1, data: 1, worker: hop };
    for (const value of [
      first,
      { ...first, worker: { instance: 'i', language: 'python' } },
      { ...first, worker: { language: 'x' } },
      { ...first, worker: 'me' },
    ]) {
      same(parseResponse, responseSchema, value);
    }
    expect(parseResponse(first)).toEqual({ ok: true, value: first });
  });

  it('agree with the zod schemas on acks, session frames and registry acks', () => {
    const err = { code: 'NO_HANDLER', message: 'm', details: { a: 1 } };
    for (const v of [
      { ok: true, id: 'a' },
      { ok: true, id: '' },
      { ok: false, error: err },
      { ok: false, id: 'x', error: { code: 'NOPE', message: 'm' } },
      { ok: 'yes' },
      null,
      [],
      { ok: true, id: 'a', extra: 1 },
    ]) {
      same(parseAck, ackSchema, v);
    }
    for (const v of [
      { sessionId: 's', token: 't' },
      { sessionId: 's', token: 't', limits: { maxPayloadBytes: 10 } },
      { sessionId: 's', token: 't', limits: { maxPayloadBytes: 0 } },
      { sessionId: 's', token: 't', capabilities: [] },
      { sessionId: 's', token: 't', capabilities: ['retained-calls', 'queue-positions'] },
      // A name this client does not know (a newer gateway's) must not make the frame unreadable.
      { sessionId: 's', token: 't', capabilities: ['retained-calls', 'from-the-future'] },
      { sessionId: 's', token: 't', capabilities: 'retained-calls' },
      { sessionId: 's', token: 't', capabilities: ['retained-calls', 7] },
      { sessionId: 's' },
      'x',
    ]) {
      same(parseSessionFrame, sessionFrameSchema, v);
    }
    for (const v of [{ ok: true, catalogue }, { ok: true, catalogue: { ...catalogue, types: [{ type: 'a' }] } }, { ok: false, error: err }, { ok: true }]) {
      same(parseRegistryAck, registryAck, v);
    }
    expect('registryAckSchema' in envelopes).toBe(false); // lives in registry.ts, not envelopes.ts
  });

  it("read a call's ack and answer by their shortcut exactly as the checks and zod do, edges included", () => {
    const hop = { instance: 'w', language: 'typescript', service: 's', startedAt: 1.5, extra: true };
    const answer = { kind: 'result', id: 'r-1', seq: 0, attempt: 1, data: { a: 1 } };
    const inherited = Object.assign(Object.create({ data: 1 }) as object, { kind: 'result', id: 'r-1', seq: 0, attempt: 1 });
    for (const value of [
      answer,
      { ...answer, kind: 'chunk', seq: 3, attempt: 2, extra: 'dropped' },
      { ...answer, data: null },
      { ...answer, worker: hop },
      { ...answer, worker: undefined },
      { ...answer, worker: { instance: 'w', language: 'x'.repeat(41) } },
      { ...answer, worker: { instance: 'w', language: 'py', startedAt: Number.POSITIVE_INFINITY } },
      { ...answer, worker: { instance: 'w', language: 'py', service: 7 } },
      { ...answer, worker: [] },
      { ...answer, id: 'no spaces' },
      { ...answer, id: 'x'.repeat(129) },
      { ...answer, seq: 1.5 },
      { ...answer, seq: Number.NaN },
      { ...answer, attempt: 0 },
      { ...answer, seq: 2 ** 53 },
    ]) {
      same(parseResponse, responseSchema, value);
    }
    // Stricter than zod here, as the checks were before the shortcut: an answer needs its own data.
    expect(parseResponse({ ...answer, data: undefined }).ok).toBe(false);
    expect(parseResponse(inherited).ok).toBe(false);
    expect(parseResponse({ ...answer, worker: hop })).toEqual({
      ok: true,
      value: { ...answer, worker: { instance: 'w', language: 'typescript', service: 's', startedAt: 1.5 } },
    });
    for (const value of [
      { ok: true, id: 'r-1', seq: 7, response: answer, attached: false },
      { ok: true, id: 'r-1', seq: 0 },
      { ok: true, id: 'r-1', seq: 1.5 },
      { ok: true, id: 'r-1', attached: 'yes' },
      { ok: true, id: 'r-1', response: undefined, seq: undefined },
      { ok: true, id: 7 },
      Object.assign(Object.create({ ok: true }) as object, { id: 'r-1' }),
    ]) {
      same(parseAck, ackSchema, value);
    }
  });

  it('names the failing path in the message', () => {
    const parsed = parseResponse({ kind: 'chunk', id: 'r', seq: -1, attempt: 1, data: null });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('seq') });
  });
});
