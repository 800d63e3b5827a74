// backend.services(): the gateway's live registry catalogue, asked for over
// the backend's own socket (`registry` event with an ack), so it works
// wherever requests work — same origin, proxies, auth — with no extra URL.
import { createWarrenError, EVENTS, fromWireError, parseRegistryAck, type Catalogue, type WarrenError, type WireError } from '@warren/protocol';

export interface ServicesOptions {
  /** Give up after this long (the socket may be reconnecting). @default 10000 */
  timeoutMs?: number;
}

const SERVICES_TIMEOUT_MS = 10_000;

interface ServicesDeps {
  /** socket.emit with an ack; socket.io buffers it while reconnecting. */
  emit(event: string, body: unknown, ack: (raw: unknown) => void): void;
  /** Why calls fail right now (closed, refused), or null. */
  refusal(): WarrenError | null;
}

export const requestCatalogue = (deps: ServicesDeps, options: ServicesOptions = {}): Promise<Catalogue> => {
  const refused = deps.refusal();
  if (refused !== null) return Promise.reject(refused);
  const timeoutMs = options.timeoutMs ?? SERVICES_TIMEOUT_MS;
  return new Promise<Catalogue>((resolve, reject) => {
    const timer = setTimeout(() => reject(createWarrenError('TIMEOUT', `The gateway did not send the registry within ${timeoutMs} ms`)), timeoutMs);
    const onAck = (raw: unknown) => {
      clearTimeout(timer);
      const parsed = parseRegistryAck(raw);
      if (!parsed.ok) reject(createWarrenError('INTERNAL', `The gateway sent an unreadable registry: ${parsed.error.message}`));
      else if (parsed.value.ok) resolve(parsed.value.catalogue);
      else reject(fromWireError(parsed.value.error as WireError));
    };
    try {
      deps.emit(EVENTS.registry, {}, onAck);
    } catch (error) {
      clearTimeout(timer);
      reject(createWarrenError('DISCONNECTED', `Could not ask for the registry: ${(error as Error).message}`));
    }
  });
};
