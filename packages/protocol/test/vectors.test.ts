// The conformance vectors of packages/protocol/vectors, checked with the
// TypeScript parsers. python/tests/test_vectors.py checks the same files with
// the Python SDK and schemas.json: a vector only one language checks is a
// failure, so both walk every file and count what they visited.
import { readdirSync, readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import type { ConsumeMessage } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { parseCancelMessage, parseJson, parseRequestFrame, parseResponse, topology, type Parsed } from '@warren/protocol';
// Not on the transport's public entry: the codec is an implementation detail there.
import { decodeRequest } from '../../transport/src/amqp/codec.ts';

interface Expectation {
  valid: boolean;
  code?: string;
  path?: string;
  request?: Record<string, unknown>;
}

interface Vector {
  name: string;
  value?: unknown;
  body?: string;
  message?: AmqpInput;
  expect: Expectation;
  /** Checkers that decide otherwise today (known, reported differences): typescript | python | schema. */
  divergent?: { typescript?: Expectation; python?: Expectation; schema?: Expectation; note: string };
}

interface AmqpInput {
  routingKey: string;
  redelivered: boolean;
  properties: { correlationId?: string; replyTo?: string; type?: string };
  headers: Record<string, unknown>;
  body?: string;
  bodyBase64?: string;
  /** Body is `[` × n then `]` × n (too long to spell out). */
  bodyNested?: number;
  /** Appended to the body: this many spaces (JSON whitespace), for size limits. */
  bodyPadBytes?: number;
}

interface VectorFile {
  checks: string;
  namespace?: string;
  vectors: Vector[];
}

/** What a checker saw: the verdict, and the request it decoded (amqp vectors). */
type Verdict = { valid: true; request?: Record<string, unknown> } | { valid: false; code: string; paths: string[] };

const fromParsed = <T>(parsed: Parsed<T>, request?: (value: T) => Record<string, unknown>): Verdict =>
  parsed.ok
    ? { valid: true, ...(request ? { request: request(parsed.value) } : {}) }
    : { valid: false, code: parsed.error.code, paths: ((parsed.error.details?.issues ?? []) as { path: string }[]).map((i) => i.path) };

/** Whether a verdict is the expected one (a path only counts where the checker names paths). */
const matches = (got: Verdict, expected: Expectation): boolean =>
  got.valid === expected.valid &&
  (got.valid
    ? expected.request === undefined || isDeepStrictEqual(got.request, expected.request)
    : (expected.code === undefined || got.code === expected.code) && (expected.path === undefined || got.paths.includes(expected.path)));

const amqpMessage = (input: AmqpInput): ConsumeMessage =>
  ({
    content: Buffer.concat([
      input.bodyBase64 !== undefined
        ? Buffer.from(input.bodyBase64, 'base64')
        : Buffer.from(input.bodyNested !== undefined ? '['.repeat(input.bodyNested) + ']'.repeat(input.bodyNested) : (input.body ?? ''), 'utf8'),
      Buffer.alloc(input.bodyPadBytes ?? 0, ' '),
    ]),
    properties: { ...input.properties, headers: input.headers },
    fields: { routingKey: input.routingKey, redelivered: input.redelivered },
  }) as unknown as ConsumeMessage;

/** One checker per `checks` value; a file naming another one fails. */
const CHECKERS: Record<string, (vector: Vector, file: VectorFile) => Verdict> = {
  response: (v) => fromParsed(parseResponse(v.value)),
  requestFrame: (v) => fromParsed(parseRequestFrame(v.value)),
  // As the Node transport reads a cancel: JSON first, then the envelope.
  cancelMessage: (v) => {
    const body = v.body !== undefined ? parseJson(v.body) : ({ ok: true, value: v.value } as const);
    return fromParsed(body.ok ? parseCancelMessage(body.value) : body);
  },
  amqpRequest: (v, file) =>
    fromParsed(decodeRequest(topology(file.namespace), amqpMessage(v.message!)), ({ request, attempt }) => ({
      id: request.id,
      type: request.type,
      session: request.session,
      payload: request.payload,
      deadline: request.deadline ?? null,
      principal: request.principal ?? null,
      traceparent: request.traceparent ?? null,
      attempt,
    })),
};

const dir = new URL('../vectors/', import.meta.url);
const FILES = ['amqp-requests.json', 'cancel-messages.json', 'request-frames.json', 'responses.json'];
const load = (name: string): VectorFile => JSON.parse(readFileSync(new URL(name, dir), 'utf8')) as VectorFile;
const visited = new Map<string, Set<string>>();

describe('conformance vectors (TypeScript)', () => {
  it('checks exactly the known vector files, each with a known checker', () => {
    expect(readdirSync(dir).filter((f) => f.endsWith('.json')).sort()).toEqual(FILES);
    for (const name of FILES) {
      const file = load(name);
      expect(Object.keys(CHECKERS), `${name}: checks "${file.checks}"`).toContain(file.checks);
      const names = file.vectors.map((v) => v.name);
      expect(new Set(names).size, `${name}: vector names must be unique`).toBe(names.length);
    }
  });

  describe.each(FILES)('%s', (name) => {
    const file = load(name);
    it.each(file.vectors.map((v) => [v.name, v] as const))('%s', (_, vector) => {
      const expected = vector.divergent?.typescript ?? vector.expect;
      const got = CHECKERS[file.checks]!(vector, file);
      visited.set(name, (visited.get(name) ?? new Set()).add(vector.name));
      expect(got.valid, got.valid ? 'accepted' : `refused: ${got.code} at ${got.paths.join(', ')}`).toBe(expected.valid);
      if (got.valid) {
        if (expected.request) expect(got.request).toEqual(expected.request);
        return;
      }
      if (expected.code) expect(got.code).toBe(expected.code);
      if (expected.path) expect(got.paths).toContain(expected.path);
      // A recorded difference that went away must be removed from the vector, not linger.
      if (vector.divergent?.typescript) expect(matches(got, vector.expect), `now agrees with expect: drop divergent.typescript (${vector.divergent.note})`).toBe(false);
    });
  });

  it('visited every vector of every file', () => {
    for (const name of FILES) {
      expect([...(visited.get(name) ?? [])].sort(), name).toEqual(load(name).vectors.map((v) => v.name).sort());
    }
  });
});
