// Runs conformance vector files (packages/protocol/spec/v<N>/vectors, N the
// current PROTOCOL_VERSION) through checkers:
// protocol's test checks the envelope files with its parsers, transport's the
// AMQP request file with its decoder. python/tests/test_vectors.py checks the
// same files with the Python SDK and schemas.json.
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, type Parsed } from '@warren/protocol';

// The spec is kept per version beside its vectors: bumping the version without
// writing its spec and vectors fails here.
export const SPEC_DIR = new URL(`../spec/v${PROTOCOL_VERSION}/`, import.meta.url);
export const VECTOR_DIR = new URL('vectors/', SPEC_DIR);
/** Every vector file, and which test checks it. */
export const VECTOR_FILES = {
  'amqp-requests.json': 'transport',
  'cancel-messages.json': 'protocol',
  'fast-answers.json': 'protocol',
  'request-batches.json': 'protocol',
  'request-frames.json': 'protocol',
  'response-batches.json': 'protocol',
  'responses.json': 'protocol',
} as const;

export interface Expectation {
  valid: boolean;
  code?: string;
  path?: string;
  request?: Record<string, unknown>;
  /** fast-answers.json: what a client does with the ack's `response` (none in it, read, or dropped as malformed). */
  answer?: Answer;
}

export type Answer = 'none' | 'read' | 'dropped';

export interface Vector {
  name: string;
  value?: unknown;
  body?: string;
  message?: AmqpInput;
  expect: Expectation;
  /** Checkers that decide otherwise today (known, reported differences): typescript | python | schema. */
  divergent?: { typescript?: Expectation; python?: Expectation; schema?: Expectation; note: string };
}

export interface AmqpInput {
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
  /** Consumed from the type's fast-lane queue: decoded as a fast request. */
  fast?: boolean;
}

export interface VectorFile {
  checks: string;
  namespace?: string;
  vectors: Vector[];
}

/** What a checker saw: the verdict, and the request it decoded (amqp vectors). */
export type Verdict = { valid: true; request?: Record<string, unknown>; answer?: Answer } | { valid: false; code: string; paths: string[] };

export const fromParsed = <T>(parsed: Parsed<T>, request?: (value: T) => Record<string, unknown>): Verdict =>
  parsed.ok
    ? { valid: true, ...(request ? { request: request(parsed.value) } : {}) }
    : { valid: false, code: parsed.error.code, paths: ((parsed.error.details?.issues ?? []) as { path: string }[]).map((i) => i.path) };

/** Whether a verdict is the expected one (a path only counts where the checker names paths). */
const matches = (got: Verdict, expected: Expectation): boolean =>
  got.valid === expected.valid &&
  (got.valid
    ? (expected.request === undefined || isDeepStrictEqual(got.request, expected.request)) && (expected.answer === undefined || got.answer === expected.answer)
    : (expected.code === undefined || got.code === expected.code) && (expected.path === undefined || got.paths.includes(expected.path)));

export type Checker = (vector: Vector, file: VectorFile) => Verdict;

export const loadVectors = (name: string): VectorFile => JSON.parse(readFileSync(new URL(name, VECTOR_DIR), 'utf8')) as VectorFile;

/** Checks every vector of `files` with the checker its file names, then that each was visited. */
export const describeVectors = (title: string, files: string[], checkers: Record<string, Checker>) => {
  const visited = new Map<string, Set<string>>();
  describe(title, () => {
    it('has a known checker and unique vector names in each file', () => {
      for (const name of files) {
        const file = loadVectors(name);
        expect(Object.keys(checkers), `${name}: checks "${file.checks}"`).toContain(file.checks);
        const names = file.vectors.map((v) => v.name);
        expect(new Set(names).size, `${name}: vector names must be unique`).toBe(names.length);
      }
    });

    describe.each(files)('%s', (name) => {
      const file = loadVectors(name);
      it.each(file.vectors.map((v) => [v.name, v] as const))('%s', (_, vector) => {
        const expected = vector.divergent?.typescript ?? vector.expect;
        const got = checkers[file.checks]!(vector, file);
        visited.set(name, (visited.get(name) ?? new Set()).add(vector.name));
        expect(got.valid, got.valid ? 'accepted' : `refused: ${got.code} at ${got.paths.join(', ')}`).toBe(expected.valid);
        if (got.valid) {
          if (expected.request) expect(got.request).toEqual(expected.request);
          if (expected.answer) expect(got.answer).toBe(expected.answer);
          return;
        }
        if (expected.code) expect(got.code).toBe(expected.code);
        if (expected.path) expect(got.paths).toContain(expected.path);
        // A recorded difference that went away must be removed from the vector, not linger.
        if (vector.divergent?.typescript)
          expect(matches(got, vector.expect), `now agrees with expect: drop divergent.typescript (${vector.divergent.note})`).toBe(false);
      });
    });

    it('visited every vector of every file', () => {
      for (const name of files) {
        expect([...(visited.get(name) ?? [])].sort(), name).toEqual(
          loadVectors(name)
            .vectors.map((v) => v.name)
            .sort(),
        );
      }
    });
  });
};
