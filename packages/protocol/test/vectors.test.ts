// The conformance vectors of packages/protocol/spec/v<N>/vectors, checked with the
// TypeScript parsers (the AMQP request file with the transport's decoder, in
// packages/transport/test/amqp-vectors.test.ts). python/tests/test_vectors.py
// checks the same files with the Python SDK and schemas.json: a vector only
// one language checks is a failure, so both walk every file and count what
// they visited.
import { readdirSync, readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import {
  PROTOCOL_VERSION,
  parseAck,
  parseCancelMessage,
  parseJson,
  parseRequestFrame,
  parseRequestsFrame,
  parseResponse,
  parseResponsesFrame,
} from '@warren/protocol';
import { describeVectors, fromParsed, SPEC_DIR, VECTOR_DIR, VECTOR_FILES, type Verdict } from './vector-runner.ts';

/** As the gateway reads a `requests` frame: its bounds (refused whole), then each element as a `request` frame (refused in its slot). */
const requestsVerdict = (value: unknown): Verdict => {
  const frame = fromParsed(parseRequestsFrame(value));
  if (!frame.valid) return frame;
  const paths = (value as unknown[]).flatMap((element, index) => {
    const got = fromParsed(parseRequestFrame(element));
    return got.valid ? [] : got.paths.map((p) => (p === '(root)' ? String(index) : `${index}.${p}`));
  });
  return paths.length === 0 ? { valid: true } : { valid: false, code: 'INVALID_REQUEST', paths };
};

/** As @warren/client reads an ack: the ack, then its `response` (fast-answers) as a `response` frame, dropped when malformed or another request's. */
const fastAckVerdict = (value: unknown): Verdict => {
  const ack = parseAck(value);
  if (!ack.ok) return fromParsed(ack);
  if (!ack.value.ok || ack.value.response === undefined) return { valid: true, answer: 'none' };
  const response = parseResponse(ack.value.response);
  return { valid: true, answer: response.ok && response.value.id === ack.value.id ? 'read' : 'dropped' };
};

it('keeps the spec of the current version beside its vectors', () => {
  const title = readFileSync(new URL('protocol.md', SPEC_DIR), 'utf8').split('\n')[0];
  expect(title).toBe(`# Warren wire protocol — version ${PROTOCOL_VERSION}`);
});

it('knows every vector file, and which test checks it', () => {
  expect(
    readdirSync(VECTOR_DIR)
      .filter((f) => f.endsWith('.json'))
      .sort(),
  ).toEqual(Object.keys(VECTOR_FILES).sort());
});

describeVectors(
  'conformance vectors (TypeScript)',
  Object.entries(VECTOR_FILES).flatMap(([name, by]) => (by === 'protocol' ? [name] : [])),
  {
    response: (v) => fromParsed(parseResponse(v.value)),
    responsesFrame: (v) => fromParsed(parseResponsesFrame(v.value)),
    requestFrame: (v) => fromParsed(parseRequestFrame(v.value)),
    requestsFrame: (v) => requestsVerdict(v.value),
    fastAck: (v) => fastAckVerdict(v.value),
    // As the Node transport reads a cancel: JSON first, then the envelope.
    cancelMessage: (v) => {
      const body = v.body !== undefined ? parseJson(v.body) : ({ ok: true, value: v.value } as const);
      return fromParsed(body.ok ? parseCancelMessage(body.value) : body);
    },
  },
);
