// Counts the Socket.IO packets each socket of a gateway reads and writes:
// the frame-count tests (fast answers, cumulative acks) assert on them.
import type { Server, Socket } from 'socket.io';

/** Socket.IO packets (events and acks) of one gateway socket: `in` from the client, `out` to it. */
export interface PacketCounts {
  in: number;
  out: number;
}

/** Counts, into `packets` by socket id, every packet of each socket `io` accepts from now on. */
export const watchPackets = (io: Server, packets: Map<string, PacketCounts>): void => {
  io.on('connection', (socket: Socket) => {
    const counts = { in: 0, out: 0 };
    packets.set(socket.id, counts);
    // engine.io `message` packets are the Socket.IO packets; ping/pong are not counted.
    socket.conn.on('packet', (packet: { type: string }) => {
      if (packet.type === 'message') counts.in += 1;
    });
    socket.conn.on('packetCreate', (packet: { type: string }) => {
      if (packet.type === 'message') counts.out += 1;
    });
  });
};

/** The counts of the only socket connected since `before` (a snapshot of the map's keys); throws unless exactly one did. */
export const countsSince = (packets: Map<string, PacketCounts>, before: Set<string>): PacketCounts => {
  const ids = [...packets.keys()].filter((id) => !before.has(id));
  if (ids.length !== 1) throw new Error(`expected one new socket, saw ${ids.length}`);
  return packets.get(ids[0]!)!;
};
