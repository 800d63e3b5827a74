import { describe, expect, it } from 'vitest';
import { call } from '@warren/cli';

describe('warren call', () => {
  it('fails fast with DISCONNECTED when no gateway listens at the URL', async () => {
    const err: string[] = [];
    const started = Date.now();
    const code = await call({ type: 'x', payload: null, url: 'http://127.0.0.1:9', timeoutMs: undefined }, { out: () => {}, err: (l) => err.push(l) }, 300);
    expect(code).toBe(1);
    expect(err[0]).toMatch(/^DISCONNECTED: Cannot reach a Warren gateway at http:\/\/127\.0\.0\.1:9/);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
