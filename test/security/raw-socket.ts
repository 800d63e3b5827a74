// A hand-driven Engine.IO v4 / Socket.IO v5 client over a raw WebSocket
// (the `ws` package), so the hostile suite can send what no well-behaved
// client would: broken packets, fake binary placeholders, oversize frames.
import WebSocket from 'ws';

export interface RawSocket {
  ws: WebSocket;
  /** Text packets received so far (pings answered automatically). */
  packets: string[];
  closed: Promise<number>;
  isOpen(): boolean;
  send(data: string | Buffer): void;
  /** Sends a Socket.IO CONNECT with `auth`; resolves with the server's answer packet (40… or 44…). */
  connect(auth: Record<string, unknown>): Promise<string>;
  /** Resolves with the first packet matching `test`, or rejects after `ms`. */
  next(test: (packet: string) => boolean, ms?: number): Promise<string>;
  close(): void;
}

export const openRaw = (httpUrl: string, headers: Record<string, string> = {}): Promise<RawSocket> =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(`${httpUrl.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`, { headers });
    const packets: string[] = [];
    const watchers = new Set<() => void>();
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const text = data.toString();
      if (text === '2') return ws.send('3'); // Engine.IO ping → pong
      packets.push(text);
      for (const w of watchers) w();
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => reject(Object.assign(new Error(`HTTP ${res.statusCode}: ${body}`), { status: res.statusCode, body })));
    });
    ws.once('error', reject);
    const next: RawSocket['next'] = (test, ms = 3000) =>
      new Promise((res, rej) => {
        const check = () => {
          const hit = packets.find(test);
          if (hit === undefined) return;
          watchers.delete(check);
          clearTimeout(timer);
          res(hit);
        };
        const timer = setTimeout(() => {
          watchers.delete(check);
          rej(new Error(`no matching packet within ${ms} ms; got ${JSON.stringify(packets).slice(0, 500)}`));
        }, ms);
        watchers.add(check);
        check();
      });
    ws.once('open', async () => {
      const socket: RawSocket = {
        ws,
        packets,
        closed,
        isOpen: () => ws.readyState === WebSocket.OPEN,
        send: (data) => ws.send(data),
        async connect(auth) {
          ws.send(`40${JSON.stringify(auth)}`);
          return next((p) => p.startsWith('40') || p.startsWith('44'));
        },
        next,
        close: () => ws.close(),
      };
      try {
        await next((p) => p.startsWith('0{'));
        resolve(socket);
      } catch (error) {
        reject(error);
      }
    });
  });

/** The first argument of an ack packet `43<id>[…]` for ack id `id`. */
export const ackBody = (packet: string, id: number): unknown => JSON.parse(packet.slice(`43${id}`.length))[0];
