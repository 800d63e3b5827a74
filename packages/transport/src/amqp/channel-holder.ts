// The publishing channel of one connection, confirmed (publisher.ts) or not
// (fast-lane.ts): re-opened on each new connection, forgotten when it closes,
// and holding later writes back while the socket buffer is full (`drain`),
// so a fast producer cannot grow memory without bound.
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { createWarrenError } from '@warren/protocol';
import type { Log } from '../types.ts';

export const unavailable = (why: string) => createWarrenError('BROKER_UNAVAILABLE', `The message broker is unavailable: ${why}.`);

interface ChannelHolder<C extends Channel> {
  attach(model: ChannelModel): Promise<void>;
  detach(): void;
  /** The channel to write on, once earlier writes drained; BROKER_UNAVAILABLE while there is none. */
  ready(): Promise<C>;
  /** The channel when `ready()` would give it at once (one, and no drain awaited); else undefined. No promise: the common case of every publish. */
  current(): C | undefined;
  /** After `ch.publish` returned `ok`: false means the buffer is full, and later writes wait for `drain`. */
  wrote(ch: C, ok: boolean): void;
}

export const createChannelHolder = <C extends Channel>(
  open: (model: ChannelModel) => Promise<C>,
  /** For the log line of a channel error. */
  name: string,
  log: Log,
  /** Every message the broker returns on the channel (mandatory, no queue). */
  onReturn: (message: ConsumeMessage) => void,
): ChannelHolder<C> => {
  let channel: C | null = null;
  let drained: Promise<void> | null = null;
  return {
    async attach(model) {
      const ch = await open(model);
      ch.on('return', onReturn);
      ch.on('error', (error: Error) => log.warn({ err: error.message }, `${name} channel error`));
      ch.on('close', () => {
        if (channel === ch) channel = null;
      });
      channel = ch;
      drained = null;
    },
    detach() {
      channel = null;
    },
    async ready() {
      while (drained) await drained;
      if (!channel) throw unavailable('not connected');
      return channel;
    },
    current: () => (drained === null && channel !== null ? channel : undefined),
    wrote(ch, ok) {
      if (ok || drained) return;
      drained = new Promise<void>((done) => {
        const release = () => {
          drained = null;
          ch.off('drain', release);
          ch.off('close', release);
          done();
        };
        ch.on('drain', release);
        ch.on('close', release);
      });
    },
  };
};
