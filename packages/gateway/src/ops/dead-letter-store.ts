// The last N requests RabbitMQ dead-lettered (a poison request past its
// delivery limit, a deadline that passed in the queue), kept by the gateway
// that consumed them so an operator can inspect, replay or discard them.
// The caller is still told at once (dead-letters.ts); this is the copy.
// Kept in memory: a restart forgets them, and with several gateways each
// keeps the ones it consumed (they compete on the dead-letter queue).
//
// Replay re-publishes the original request (payload, principal, trace
// context) to the request exchange under a new id and the console's own
// session, so its answer comes back here and not to a caller who already
// got its verdict.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { isFinal, type Response } from '@warren/protocol';
import type { DeadLetter, Subscription, Transport } from '@warren/transport';

export interface Replay {
  requestId: string;
  by: string;
  at: number;
  /** 'ok', an error code, or undefined while it runs. */
  outcome: string | undefined;
  result?: unknown;
  error?: { code: string; message: string };
}

export interface StoredDeadLetter {
  key: string;
  receivedAt: number;
  dead: DeadLetter;
  replays: Replay[];
}

export interface DeadLetterStore {
  add(dead: DeadLetter): void;
  list(): StoredDeadLetter[];
  get(key: string): StoredDeadLetter | undefined;
  /** Publishes it again; resolves with the replay's request id. */
  replay(key: string, by: string): Promise<Replay>;
  discard(key: string, by: string): boolean;
  close(): Promise<void>;
}

const REPLAY_TIMEOUT_MS = 60_000;

export const createDeadLetterStore = ({
  transport,
  log,
  max,
  now = Date.now,
}: {
  /** The gateway's (recording) transport, so replays show up in the call log too. */
  transport: Transport;
  log: Logger;
  max: number;
  now?: () => number;
}): DeadLetterStore => {
  const entries = new Map<string, StoredDeadLetter>(); // oldest first
  const replays = new Map<string, Replay>(); // by replay request id
  // The console's own session: replays are answered to it.
  const session = `ops-${randomBytes(12).toString('base64url')}`;
  let replies: Promise<Subscription> | null = null;
  const listen = () =>
    (replies ??= transport
      .consumeReplies(
        session,
        (response: Response, settle) => {
          settle();
          const replay = replays.get(response.id);
          if (!replay || !isFinal(response)) return;
          replays.delete(response.id);
          if (response.kind === 'result') {
            replay.outcome = 'ok';
            replay.result = response.data;
          } else {
            replay.outcome = response.error.code;
            replay.error = { code: response.error.code, message: response.error.message };
          }
          log.info({ requestId: response.id, outcome: replay.outcome }, 'dead letter replay finished');
        },
        { prefetch: 64 },
      )
      .catch((error: unknown) => {
        replies = null;
        throw error;
      }));

  return {
    add(dead) {
      if (max === 0) return;
      const key = randomBytes(6).toString('hex');
      entries.set(key, { key, receivedAt: now(), dead, replays: [] });
      while (entries.size > max) entries.delete(entries.keys().next().value!);
    },
    list: () => [...entries.values()].reverse(),
    get: (key) => entries.get(key),
    async replay(key, by) {
      const entry = entries.get(key);
      if (!entry) throw new Error('no such dead letter');
      const original = entry.dead.request;
      if (!original) throw new Error('this dead letter has no request body to replay');
      await listen();
      const requestId = `replay${entry.replays.length + 1}.${original.id}`.slice(0, 128);
      const replay: Replay = { requestId, by, at: now(), outcome: undefined };
      replays.set(requestId, replay);
      entry.replays.push(replay);
      try {
        await transport.publishRequest({
          id: requestId,
          type: original.type,
          payload: original.payload,
          session,
          deadline: now() + REPLAY_TIMEOUT_MS,
          ...(original.principal === undefined ? {} : { principal: original.principal }),
          ...(original.traceparent === undefined ? {} : { traceparent: original.traceparent }),
        });
      } catch (error) {
        replays.delete(requestId);
        replay.outcome = (error as { code?: string }).code ?? 'INTERNAL';
        replay.error = { code: replay.outcome, message: 'The replay could not be published.' };
      }
      return replay;
    },
    discard(key, by) {
      const entry = entries.get(key);
      if (!entry) return false;
      entries.delete(key);
      log.info({ principal: by, requestId: entry.dead.id, type: entry.dead.type }, 'dead letter discarded');
      return true;
    },
    async close() {
      await replies?.then((s) => s.close()).catch(() => {});
    },
  };
};
