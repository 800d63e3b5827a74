// The gateway's side of the fast lane (docs/decisions/0016-fast-lane.md):
// which requests may take it, one lane per gateway process (opened on first
// use), and the routing of its answers to the socket of their session, held
// in memory. A response whose session has no socket here is dropped: at most
// once, the caller's deadline ends the call.
import type { Logger } from 'pino';
import type { Response } from '@warren/protocol';
import type { FastLane, GatewayTransport, RequestMessage } from '@warren/transport';

export interface GatewayFastLane {
  /** The request may take the fast lane: the transport has one and a live worker announced the type `fast`. */
  serves(type: string): boolean;
  publish(request: RequestMessage): Promise<void>;
  /** Delivers the session's fast answers to `deliver` while registered (`bytes`: the transport's size hint); returns the unregister function. */
  route(session: string, deliver: (response: Response, bytes?: number) => void): () => void;
  close(): Promise<void>;
}

export const createGatewayFastLane = (transport: GatewayTransport, fastCapable: (type: string) => boolean, log: Logger): GatewayFastLane => {
  const routes = new Map<string, (response: Response, bytes?: number) => void>();
  const deliver = (session: string, response: Response, bytes?: number) => {
    const to = routes.get(session);
    if (to) to(response, bytes);
    else log.debug({ sessionId: session, requestId: response.id }, 'fast response for a session not connected here; dropped');
  };
  let lane: Promise<FastLane> | undefined;
  // Once open, publishes go straight to it: no awaited promise per fast request.
  let opened: FastLane | undefined;
  const open = () =>
    (lane ??= transport.openFastLane!({
      response: deliver,
      // No queue serves the type's fast lane (its workers went away since they announced it).
      returned: ({ session, id, type }) =>
        deliver(session, {
          kind: 'error',
          id,
          seq: 0,
          attempt: 1,
          error: { code: 'NO_HANDLER', message: `No worker serves request type "${type}".` },
        }),
    }).then(
      (ready) => (opened = ready),
      (error: unknown) => {
        lane = undefined;
        throw error;
      },
    ));
  return {
    serves: (type) => transport.openFastLane !== undefined && fastCapable(type),
    publish: (request) => (opened !== undefined ? opened.publish(request) : open().then((ready) => ready.publish(request))),
    route(session, to) {
      routes.set(session, to);
      return () => {
        if (routes.get(session) === to) routes.delete(session);
      };
    },
    async close() {
      await (await lane?.catch(() => undefined))?.close();
    },
  };
};
