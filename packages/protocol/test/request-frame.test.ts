// The zod-free request-frame parser (request-frame.ts) decides exactly as
// requestFrameSchema, which defines the frame: same verdict, the same output
// (keys, their order, `undefined` kept where zod keeps it) and the same
// INVALID_REQUEST message and issues, on every request vector and on a few
// thousand generated frames, valid and broken.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_TIMEOUT_MS, requestFrameSchema } from '../src/envelopes.ts';
import { schemaParser, type Parsed } from '../src/parse.ts';
import { parseRequestFrame } from '../src/request-frame.ts';
import { VECTOR_DIR } from './vector-runner.ts';

const vectors = JSON.parse(readFileSync(new URL('request-frames.json', VECTOR_DIR), 'utf8')).vectors as { name: string; value: unknown }[];
const byZod = schemaParser(requestFrameSchema, 'request');

/** Everything a caller can see of a verdict, key order included. */
const seen = (p: Parsed<unknown>) =>
  p.ok ? { ok: true, keys: Object.keys(p.value as object), value: p.value } : { ok: false, error: p.error, keys: Object.keys(p.error) };
const same = (value: unknown) => {
  const zod = seen(byZod(value));
  const mine = seen(parseRequestFrame(value));
  expect(mine, String(JSON.stringify(value))?.slice(0, 300)).toStrictEqual(zod);
  return zod.ok;
};

/** A small deterministic PRNG (mulberry32), so a failure names a reproducible frame. */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const strings = [
  '😀',
  '😀'.repeat(64),
  '😀'.repeat(100),
  `${'x'.repeat(100)}${'😀'.repeat(20)}`,
  '\ud800'.repeat(129),
  '',
  'a',
  'r-1',
  'a b',
  'x'.repeat(128),
  'x'.repeat(129),
  'ü',
  '1bad',
  'good.type_1-x',
  'T'.repeat(100),
  'T'.repeat(101),
  'a:b.c_d-e',
];
const odd = [
  undefined,
  null,
  true,
  false,
  0,
  -1,
  1.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  [],
  {},
  [1],
  { a: 1 },
  new Uint8Array(2),
  new Uint8Array(200),
  { length: 0 },
  { length: 500 },
  { length: 'x' },
  Array(129).fill(1),
  'str',
  () => {},
];
const timeouts = [
  1,
  1000,
  MAX_TIMEOUT_MS,
  MAX_TIMEOUT_MS + 1,
  0,
  -3,
  2.5,
  -2.5,
  1e20,
  -1e20,
  Number.MAX_SAFE_INTEGER,
  Number.NaN,
  Number.NEGATIVE_INFINITY,
  '5',
  null,
];
const traces = [
  '😀'.repeat(64),
  '😀'.repeat(100),
  '😀'.repeat(129),
  `${'x'.repeat(127)}😀`,
  '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  'x'.repeat(128),
  'x'.repeat(129),
  '',
  5,
];
const payloads = [undefined, null, 0, 'text', { count: 3 }, [1, 2], { nested: { deep: [true] } }, false];

describe('the zod-free request-frame parser', () => {
  it('agrees with requestFrameSchema on every request vector', () => {
    expect(vectors.length).toBeGreaterThan(20);
    for (const v of vectors) same(v.value);
  });

  it('agrees on non-objects and hand-picked edges', () => {
    for (const value of [...odd, 'x', 5, Object.create(null), { id: 'a', type: 'b', payload: undefined, timeoutMs: undefined, key: undefined }]) same(value);
    expect(same({ id: 'a', type: 'b', extra: 1, fast: true })).toBe(true);
    expect(parseRequestFrame({ id: 'a', type: 'b', extra: 1 })).toEqual({ ok: true, value: { id: 'a', type: 'b', payload: null } });
  });

  it('agrees on a few thousand generated frames, valid and broken', () => {
    const rnd = random(16);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
    let valid = 0;
    let broken = 0;
    for (let n = 0; n < 4000; n++) {
      // Mostly well-formed fields, so a frame often has one thing wrong (or none).
      const field = <T>(good: readonly T[], p = 0.8) => (rnd() < p ? pick(good) : pick([...odd, ...strings]));
      const frame: Record<string, unknown> = {};
      if (rnd() < 0.95) frame.id = field(['r-1', 'a', 'x'.repeat(128), 'a:b.c_d-e'], 0.85);
      if (rnd() < 0.95) frame.type = field(['testRequest', 'good.type_1-x', 'T'.repeat(100)], 0.85);
      if (rnd() < 0.7) frame.payload = pick(payloads);
      if (rnd() < 0.3) frame.timeoutMs = pick(timeouts);
      if (rnd() < 0.2) frame.traceparent = pick(traces);
      if (rnd() < 0.2) frame.key = field(['k-1', 'x'.repeat(128)], 0.6);
      if (rnd() < 0.2) frame.attach = field([true, false], 0.7);
      if (rnd() < 0.2) frame.fast = field([true, false], 0.7);
      if (rnd() < 0.1) frame[pick(['extra', 'session', 'principal', 'deadline'])] = pick(odd);
      // Insertion order must not matter to the output's key order.
      const shuffled = Object.fromEntries(Object.entries(frame).sort(() => rnd() - 0.5));
      if (same(shuffled)) valid++;
      else broken++;
    }
    // Both kinds were exercised in earnest.
    expect(valid).toBeGreaterThan(800);
    expect(broken).toBeGreaterThan(800);
  });
});
