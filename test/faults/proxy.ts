// A loopback TCP proxy standing in for a load balancer: each new connection
// goes to the first backend that accepts it, so when one gateway dies its
// clients reconnect to the next.
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export const startProxy = async (backends: () => number[]) => {
  const sockets = new Set<Socket>();
  const tryConnect = (ports: number[], client: Socket) => {
    const [port, ...rest] = ports;
    if (port === undefined) return client.destroy();
    const upstream = connect({ host: '127.0.0.1', port });
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      sockets.add(upstream);
      client.pipe(upstream).pipe(client);
      client.resume();
      upstream.once('close', () => client.destroy());
      client.once('close', () => upstream.destroy());
    });
    upstream.on('error', () => {
      if (!connected) tryConnect(rest, client);
      else client.destroy();
    });
  };
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('error', () => {});
    client.pause(); // hold the client's bytes until an upstream is chosen
    tryConnect(backends(), client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
};
