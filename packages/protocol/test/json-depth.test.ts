// jsonDepth skips string contents with indexOf (issue 16); the char-by-char
// count it replaced is kept here as the reference it must agree with.
import { describe, expect, it } from 'vitest';
import { jsonDepth } from '../src/parse.ts';

const reference = (text: string, stopAfter = Infinity): number => {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > deepest && (deepest = depth) > stopAfter) return deepest;
    } else if (c === 93 || c === 125) depth--;
  }
  return deepest;
};

/** A small seeded generator, so a failure names a reproducible case. */
const random = (seed: number) => () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x80000000;
};

describe('jsonDepth', () => {
  it.each([
    ['1', 0],
    ['[]', 1],
    ['{"a":[{"b":[]}]}', 4],
    ['"[[["', 0],
    ['["\\"[", []]', 2],
    ['["\\\\", []]', 2],
    ['["\\\\\\"[[", 1]', 1],
    ['{"k\\"}":{"x":"\\\\"}}', 2],
    ['"unterminated [[[', 0],
    ['[ "a" , "b\\\\\\\\" , [ "c\\"" ] ]', 2],
  ])('%s nests %i deep', (text, depth) => {
    expect(jsonDepth(text)).toBe(depth);
    expect(reference(text)).toBe(depth);
  });

  it('agrees with the char-by-char count on 20,000 random texts of quotes, backslashes and brackets', () => {
    const next = random(16);
    const alphabet = '"\\[]{}a,:';
    for (let n = 0; n < 20_000; n++) {
      const length = Math.floor(next() * 40);
      let text = '';
      for (let i = 0; i < length; i++) text += alphabet[Math.floor(next() * alphabet.length)];
      const stopAfter = next() < 0.3 ? Math.floor(next() * 4) : Infinity;
      expect(jsonDepth(text, stopAfter), JSON.stringify({ text, stopAfter })).toBe(reference(text, stopAfter));
    }
  });

  it('agrees on real JSON, including escapes JSON.stringify makes', () => {
    const value = { a: ['x"y', 'back\\slash', { b: [[['"]}']]] }], c: '\\"', d: { e: '\\\\' } };
    const text = JSON.stringify(value);
    expect(jsonDepth(text)).toBe(reference(text));
    expect(jsonDepth(text)).toBe(6);
  });

  it('stops past stopAfter', () => {
    const text = `${'['.repeat(100)}${']'.repeat(100)}`;
    expect(jsonDepth(text, 10)).toBe(11);
    expect(jsonDepth(text)).toBe(100);
  });
});
