// What every connection declares in its setup: the four exchanges and the
// cancel stream. Apart from the transport because the consumers that bind
// to an exchange declare it again themselves (declaring is idempotent).
import type { Topology } from '@warren/protocol';
import type { Channel, ChannelModel } from 'amqplib';
import type { Log } from '../types.ts';
import { declareCancelStream } from './cancel-stream.ts';

export const declareExchanges = async (ch: Channel, topo: Topology) => {
  await ch.assertExchange(topo.requestsExchange, 'direct', { durable: true });
  await ch.assertExchange(topo.controlExchange, 'direct', { durable: true });
  await ch.assertExchange(topo.deadLetterExchange, 'fanout', { durable: true });
  await ch.assertExchange(topo.registryExchange, 'fanout', { durable: true });
};

export const declareTopology = async (model: ChannelModel, topo: Topology, log: Log) => {
  const ch = await model.createChannel();
  await declareExchanges(ch, topo);
  await ch.close();
  // Its own channel: a broker user that may not declare it (or a stream
  // declared with other arguments) costs the cancel stream, not the rest.
  const streamChannel = await model.createChannel();
  streamChannel.on('error', () => {});
  try {
    await declareCancelStream(streamChannel, topo);
    await streamChannel.close();
  } catch (error) {
    log.warn({ err: (error as Error).message, stream: topo.cancelStream }, 'could not declare the cancel stream');
  }
};
