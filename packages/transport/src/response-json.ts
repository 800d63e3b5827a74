// A response's body text, reusing the JSON text of its data when the worker
// already has it (its JSON check made it): one stringify of the data per
// response, not two (docs/decisions/0015-hot-path-costs.md, "1 MB payloads").
import type { Response } from '@warren/protocol';

/**
 * The key under which a published response may carry JSON.stringify(data).
 * A symbol: JSON.stringify skips it, so the text can never reach the wire
 * (or a socket, or a memory-transport copy) as a field of the envelope.
 * Symbol.for: the same key even if two copies of this package are loaded.
 */
export const DATA_JSON: unique symbol = Symbol.for('warren.response.dataJson') as never;

/** A response as a worker hands it to publishResponse(s): the wire envelope, perhaps with its data's text. */
export type OutgoingResponse = Response & { [DATA_JSON]?: string };

/** `response` carrying `json`, which must be JSON.stringify(response.data); `response` itself when there is none. */
export const withDataJson = <R extends Response>(response: R, json: string | undefined): R & { [DATA_JSON]?: string } =>
  json === undefined ? response : { ...response, [DATA_JSON]: json };

/**
 * JSON.stringify(response), byte for byte: the envelope's keys in their own
 * order, each stringified as JSON.stringify would (a key whose value has no
 * JSON is left out), except `data`, which is the carried text.
 */
export const responseJson = (response: OutgoingResponse): string => {
  const dataJson = response[DATA_JSON];
  if (dataJson === undefined || !('data' in response) || response.data === undefined) return JSON.stringify(response);
  const fields = response as unknown as Record<string, unknown>;
  let text = '';
  for (const key of Object.keys(fields)) {
    const value = key === 'data' ? dataJson : (JSON.stringify(fields[key]) as string | undefined);
    if (value === undefined) continue;
    text += `${text === '' ? '{' : ','}${JSON.stringify(key)}:${value}`;
  }
  return text === '' ? '{}' : `${text}}`;
};

/** JSON.stringify(responses), byte for byte, each by responseJson. */
export const responsesJson = (responses: readonly OutgoingResponse[]): string => `[${responses.map(responseJson).join(',')}]`;
