import { describe, expect, it } from 'vitest';
import { contractJsonSchemas } from '@warren/protocol';
import { contracts } from '@warren/example-contracts';

describe('demo contracts', () => {
  it('fill the documented defaults and refuse a count that is not a number', () => {
    expect(contracts.testRequest.payload.parse({})).toEqual({ count: 3, delayMs: 100 });
    expect(contracts.longTask.payload.parse({})).toEqual({ steps: 20, stepMs: 500 });
    expect(contracts.testRequest.payload.safeParse({ count: 'three' }).success).toBe(false);
  });

  it('announce payloads as callers write them: every field optional', () => {
    const schemas = contractJsonSchemas(contracts.testRequest);
    expect(schemas.payload).toMatchObject({ type: 'object', properties: { count: { type: 'integer', description: 'Chunks to stream.' } } });
    expect(schemas.payload).not.toHaveProperty('required');
    expect(schemas.result).toMatchObject({ required: ['count', 'elapsedMs', 'attempt'] });
  });
});
