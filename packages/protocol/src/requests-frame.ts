// A `requests` frame (capability `request-batches`), as a gateway reads it:
// only its bounds here; each element is then read as a `request` frame of its
// own (parseRequestFrame), so a bad one is refused in its slot and only there.
import { REQUESTS_FRAME } from './limits.ts';
import type { Parsed } from './parse.ts';

/** An array of 1 to REQUESTS_FRAME.maxRequests elements, returned unread; anything else is refused whole. */
export const parseRequestsFrame = (value: unknown): Parsed<unknown[]> => {
  const { maxRequests } = REQUESTS_FRAME;
  const refused = (message: string): Parsed<unknown[]> => ({
    ok: false,
    error: { code: 'INVALID_REQUEST', message: `Invalid requests frame: ${message}`, details: { issues: [{ path: '(root)', message }] } },
  });
  if (!Array.isArray(value)) return refused(`expected an array of request frames, received ${value === null ? 'null' : typeof value}`);
  if (value.length < 1) return refused('expected array to have >=1 items');
  if (value.length > maxRequests) return refused(`expected array to have <=${maxRequests} items, received ${value.length}`);
  return { ok: true, value };
};
