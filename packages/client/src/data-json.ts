// Capability `data-bytes`: a large response's data may come as `dataJson`,
// the UTF-8 bytes of its JSON text (a Socket.IO binary attachment), in place
// of `data` — the gateway relayed the worker's bytes without parsing and
// re-encoding them. Read back here into the envelope every path reads.
const decoder = new TextDecoder();

/**
 * `raw` with `dataJson` parsed into `data`; `raw` itself when it has none.
 * Bytes that are not JSON (or not bytes) leave the envelope without `data`:
 * malformed, so it is dropped as any malformed response is. Never throws.
 */
export const readDataJson = (raw: unknown): unknown => {
  if (typeof raw !== 'object' || raw === null || !('dataJson' in raw)) return raw;
  const { dataJson, ...envelope } = raw as Record<string, unknown>;
  if (!(dataJson instanceof ArrayBuffer || ArrayBuffer.isView(dataJson))) return envelope;
  try {
    return { ...envelope, data: JSON.parse(decoder.decode(dataJson)) };
  } catch {
    return envelope;
  }
};
