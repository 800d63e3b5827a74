// README.md's contracts.ts (§ Typed calls), for the blocks that import it.
import { defineContract, defineContracts } from '@warren/protocol';
import { z } from 'zod';

export const contracts = defineContracts({
  greet: defineContract({
    payload: z.object({ name: z.string() }),
    chunk: z.object({ word: z.string() }),
    result: z.object({ greeting: z.string() }),
  }),
});
