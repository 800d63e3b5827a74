// The cancel stream `ns.cancels` (packages/protocol/spec/v1/protocol.md, "Cancel message"): every
// cancel is appended to it, and a worker reads it from the first offset, so a
// cancel sent while no worker ran is still honoured. A worker appends a marker
// and waits (bounded) until it reads it back: then it has read every cancel
// sent before it started.
import { randomUUID } from 'node:crypto';
import {
  CANCEL_STREAM,
  CANCEL_STREAM_ARGUMENTS,
  parseCancelMessage,
  parseJson,
  type CancelMarker,
  type CancelMessage,
  type CancelRecord,
  type Topology,
} from '@warren/protocol';
import type { Channel, ConsumeMessage, Options } from 'amqplib';
import type { CancelListener, Log } from '../types.ts';
import type { AckBatcher } from './consumer.ts';

type Publish = (exchange: string, routingKey: string, body: Buffer, properties: Options.Publish) => Promise<'confirmed' | 'returned'>;

export const declareCancelStream = async (ch: Channel, topo: Topology) => {
  await ch.assertQueue(topo.cancelStream, { durable: true, arguments: CANCEL_STREAM_ARGUMENTS });
};

/**
 * Appends one record; mandatory, so a stream that is missing (deleted under
 * us) is declared again and the record re-sent once rather than dropped.
 */
export const appendToCancelStream = async (publish: Publish, redeclare: () => Promise<void>, topo: Topology, body: Buffer, properties: Options.Publish) => {
  const send = () => publish('', topo.cancelStream, body, { contentType: 'application/json', persistent: true, mandatory: true, ...properties });
  if ((await send()) === 'confirmed') return;
  await redeclare();
  if ((await send()) === 'returned') throw new Error(`the cancel stream ${topo.cancelStream} does not exist`);
};

export const cancelRecord = (type: string, cancel: CancelMessage, at: number): Buffer =>
  Buffer.from(JSON.stringify({ id: cancel.id, session: cancel.session, type, at } satisfies CancelRecord));

interface StreamReader {
  /** amqplib's consume callback. */
  onMessage(message: ConsumeMessage): void;
  /** Appends this reader's marker and resolves once it was read back, or after markerWaitMs (logged). */
  caughtUp(): Promise<void>;
}

/**
 * Reads one pass of the stream on one channel: records whose AMQP `type` is
 * not a served type are acked unread (no parse, no allocation), so a worker
 * pays for the types it serves only.
 */
export const cancelStreamReader = (
  deps: { acks: AckBatcher; log: Log; append: (body: Buffer, properties: Options.Publish) => Promise<void>; markerWaitMs?: number },
  types: ReadonlySet<string>,
  instance: string,
  listener: CancelListener,
): StreamReader => {
  const { acks, log } = deps;
  const nonce = randomUUID();
  let markerRead!: () => void;
  const marker = new Promise<void>((resolve) => (markerRead = resolve));
  const deliver = (message: ConsumeMessage) => {
    const type: unknown = message.properties.type;
    if (type === CANCEL_STREAM.markerType) {
      if (message.properties.messageId === nonce) markerRead();
      return;
    }
    // A record without a type (another writer) is parsed to find out.
    if (typeof type === 'string' && !types.has(type)) return;
    const body = parseJson(message.content);
    const parsed = body.ok ? parseCancelMessage(body.value) : body;
    if (!parsed.ok) return log.warn({ error: parsed.error.message }, 'dropping a malformed cancel record');
    const record = (body.ok ? body.value : {}) as Partial<CancelRecord>;
    if (typeof type !== 'string' && !(typeof record.type === 'string' && types.has(record.type))) return;
    listener(parsed.value, typeof record.at === 'number' ? record.at : undefined);
  };
  return {
    onMessage(message) {
      acks.delivered(message);
      try {
        deliver(message);
      } finally {
        // A stream consumer gets more only as it acks (its qos is its credit).
        acks.ack(message);
      }
    },
    async caughtUp() {
      const waitMs = deps.markerWaitMs ?? CANCEL_STREAM.markerWaitMs;
      const body = Buffer.from(JSON.stringify({ kind: 'marker', instance, nonce } satisfies CancelMarker));
      try {
        await deps.append(body, { type: CANCEL_STREAM.markerType, messageId: nonce });
      } catch (error) {
        log.warn({ err: (error as Error).message }, 'could not append a marker to the cancel stream; consuming requests without waiting for it');
        return;
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), waitMs)));
      const outcome = await Promise.race([marker, timedOut]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        log.warn(
          { waitedMs: waitMs },
          'the cancel stream marker did not come back in time; consuming requests anyway (a cancel sent while no worker ran may be missed)',
        );
      }
    },
  };
};
