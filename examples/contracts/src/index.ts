// The demo's request types as zod contracts: one ordinary workspace package
// that the Node demo worker (handlers typed and checked by them) and any
// client (`createBackend({ url, contracts })`) import alike.
import { z } from 'zod';
import { defineContract, defineContracts } from '@warren/protocol';

export const testRequest = defineContract({
  description: 'Streams `count` chunks, `delayMs` apart, then a summary of what it did.',
  payload: z.object({
    count: z.number().int().min(0).max(10_000).default(3).describe('Chunks to stream.'),
    delayMs: z.number().int().min(0).max(60_000).default(100).describe('Pause before each chunk, ms.'),
    fail: z.string().max(500).optional().describe('When set, the handler throws this message after streaming (error demos).'),
    tag: z.string().max(200).optional().describe('Echoed in every chunk, so callers can tell whose chunks they are.'),
    padBytes: z.number().int().min(0).max(1_000_000).optional().describe('Adds this many bytes of filler to every chunk (load and backpressure tests).'),
  }),
  chunk: z.object({ seq: z.number().int(), text: z.string(), tag: z.string().optional(), pad: z.string().optional() }),
  result: z.object({ count: z.number().int(), elapsedMs: z.number(), attempt: z.number().int() }),
});

export const longTask = defineContract({
  description: 'Steps through a long job with progress; stops when cancelled.',
  payload: z.object({
    steps: z.number().int().min(1).max(1000).default(20),
    stepMs: z.number().int().min(0).max(10_000).default(500),
  }),
  chunk: z.object({ step: z.number().int(), steps: z.number().int(), progress: z.number().min(0).max(1) }),
  result: z.object({ steps: z.number().int(), done: z.literal(true) }),
});

export const contracts = defineContracts({ testRequest, longTask });
export type DemoContracts = typeof contracts;
