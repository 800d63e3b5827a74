// The payload size check counts UTF-8 bytes without encoding short text: the
// count must be TextEncoder's, surrogates included.
import { describe, expect, it } from 'vitest';
import { utf8Bytes } from '../src/utf8-bytes.ts';

const encoder = new TextEncoder();

describe('utf8Bytes', () => {
  it('counts what TextEncoder writes, below and above the counting bound', () => {
    const samples = [
      '',
      'plain ascii {"a":1}',
      'é and ß and ü',
      '€ – ✓ 中文',
      '😀 pair 🎉',
      'lone high \ud83d end',
      'lone low \ude00 end',
      'high at the end \ud83d',
      '\u007f\u0080\u07ff\u0800\uffff',
      JSON.stringify({ text: 'x'.repeat(5000), emoji: '😀'.repeat(10) }),
      'é'.repeat(4096),
      'é'.repeat(4097),
    ];
    for (const text of samples) expect(utf8Bytes(text, encoder), text.slice(0, 40)).toBe(encoder.encode(text).byteLength);
  });
});
