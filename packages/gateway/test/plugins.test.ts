import { describe, expect, it } from 'vitest';
import { createWarrenError, type Response } from '@warren/protocol';
import { createGateway, localHandlers, rateLimit, refuse, type GatewayPlugin } from '@warren/gateway';
import { createMemoryBroker, memoryTransport } from '@warren/transport';
import { capturingLog, connect, quiet, setup, sleep, until } from './support.ts';

describe('plugin chain', () => {
  it('runs hooks by phase: connect and request in order, responses and disconnects innermost first', async () => {
    const calls: string[] = [];
    const tracer = (name: string): GatewayPlugin => ({
      name,
      onConnect: () => void calls.push(`${name}:connect`),
      async onRequest(ctx, next) {
        calls.push(`${name}:before:${ctx.id}`);
        await next();
        calls.push(`${name}:after:${ctx.id}`);
      },
      onResponse: (response) => void calls.push(`${name}:response:${response.kind}`),
      onDisconnect: () => void calls.push(`${name}:disconnect`),
    });
    const { gateway } = await setup({ plugins: [tracer('a'), tracer('b')] });
    const client = connect(gateway);
    await client.ready;
    expect(await client.request({ id: 'r1', type: 'echo', payload: null })).toEqual({ ok: true, id: 'r1' });
    await client.final('r1');
    client.socket.close();
    await until(() => calls.includes('a:disconnect'));
    expect(calls).toEqual([
      'a:connect',
      'b:connect',
      'a:before:r1',
      'b:before:r1',
      'b:after:r1',
      'a:after:r1',
      'b:response:result',
      'a:response:result',
      'b:disconnect',
      'a:disconnect',
    ]);
  });

  it('rejects with a typed error and publishes nothing', async () => {
    const gate: GatewayPlugin = {
      name: 'gate',
      async onRequest(ctx, next) {
        if (ctx.type === 'echo' && (ctx.payload as { secret?: boolean } | null)?.secret) throw refuse('FORBIDDEN', 'No secrets.');
        await next();
      },
    };
    const { gateway, broker } = await setup({ plugins: [gate] });
    const client = connect(gateway);
    const before = broker.published();
    expect(await client.request({ id: 'r1', type: 'echo', payload: { secret: true } })).toEqual({
      ok: false,
      id: 'r1',
      error: { code: 'FORBIDDEN', message: 'No secrets.' },
    });
    expect(broker.published()).toBe(before);
  });

  it('hides an unexpected plugin failure behind INTERNAL with no internals', async () => {
    const buggy: GatewayPlugin = {
      name: 'buggy',
      onRequest: async () => {
        throw new Error('db password is hunter2 at /srv/app.ts:12');
      },
    };
    const { gateway } = await setup({ plugins: [buggy] });
    const ack = await connect(gateway).request({ id: 'r1', type: 'echo' });
    expect(ack).toEqual({ ok: false, id: 'r1', error: { code: 'INTERNAL', message: 'The gateway failed to accept the request.' } });
  });

  it('enriches the principal and transforms the payload on the way to the worker', async () => {
    const enrich: GatewayPlugin = {
      name: 'enrich',
      async onRequest(ctx, next) {
        ctx.principal = { ...ctx.principal, tenant: 'acme' };
        ctx.payload = { wrapped: ctx.payload };
        await next();
      },
    };
    const { gateway, seen } = await setup({ plugins: [enrich] });
    const client = connect(gateway);
    await client.request({ id: 'r1', type: 'echo', payload: 7 });
    await client.final('r1');
    expect(seen[0]).toMatchObject({ payload: { wrapped: 7 }, principal: { tenant: 'acme' } });
  });

  it('transforms responses in onResponse', async () => {
    const stamp: GatewayPlugin = {
      name: 'stamp',
      onResponse: (r): Response => (r.kind === 'result' ? { ...r, data: { stamped: r.data } } : r),
    };
    const { gateway } = await setup({ plugins: [stamp] });
    const client = connect(gateway);
    await client.request({ id: 'r1', type: 'echo', payload: 1 });
    expect(await client.final('r1')).toMatchObject({ kind: 'result', data: { stamped: { echoed: 1 } } });
  });

  it('refuses a connection from onConnect with connect_error data { code, message }', async () => {
    const door: GatewayPlugin = {
      name: 'door',
      onConnect: () => {
        throw refuse('UNAUTHORIZED', 'Knock first.');
      },
    };
    const { gateway } = await setup({ plugins: [door] });
    const error = await connect(gateway).ready.catch((e: { data?: unknown }) => e);
    expect((error as { data?: unknown }).data).toEqual({ code: 'UNAUTHORIZED', message: 'Knock first.' });
  });

  it('lets earlier plugins forget a connection a later one refused', async () => {
    const seen: string[] = [];
    const counter: GatewayPlugin = { name: 'counter', onConnect: () => void seen.push('in'), onDisconnect: (_c, reason) => void seen.push(`out:${reason}`) };
    const door: GatewayPlugin = {
      name: 'door',
      onConnect: () => {
        throw refuse('FORBIDDEN', 'no');
      },
    };
    const { gateway } = await setup({ plugins: [counter, door] });
    await connect(gateway).ready.catch(() => {});
    expect(seen).toEqual(['in', 'out:refused']);
  });
});

describe('connection logs', () => {
  it("logs a socket's connect and disconnect with its session and socket ids, and a hook's lines through connection.log with its socket id", async () => {
    const { log, lines } = capturingLog();
    let replaced = false;
    const greeter: GatewayPlugin = {
      name: 'greeter',
      onConnect: (connection) => connection.log.info('hello from a hook'),
      onDisconnect: (connection) => {
        // connection.log is made on first read; a hook may still give it another logger.
        (connection as { log: typeof log }).log = log.child({ replaced: true });
        connection.log.info('bye from a hook');
        replaced = true;
      },
    };
    const { gateway } = await setup({ plugins: [greeter], log });
    const client = connect(gateway);
    await client.ready;
    const connected = lines.find((l) => l.msg === 'socket connected');
    expect(connected).toMatchObject({ resumed: false, sessionId: expect.any(String), socketId: expect.any(String) });
    expect(lines.find((l) => l.msg === 'hello from a hook')).toMatchObject({ socketId: connected!.socketId });
    client.socket.close();
    await until(() => lines.some((l) => l.msg === 'socket disconnected'));
    expect(replaced).toBe(true);
    expect(lines.find((l) => l.msg === 'bye from a hook')).toMatchObject({ replaced: true });
    expect(lines.find((l) => l.msg === 'socket disconnected')).toMatchObject({ sessionId: connected!.sessionId, socketId: connected!.socketId });
  });
});

describe('local handlers', () => {
  const testRequest = async (
    payload: { count: number; delayMs?: number },
    ctx: { sendChunk(d: unknown): Promise<void>; signal: AbortSignal; principal: unknown },
  ) => {
    for (let i = 0; i < payload.count; i++) {
      if (payload.delayMs) await sleep(payload.delayMs);
      await ctx.sendChunk({ seq: i, text: `chunk ${i + 1} of ${payload.count}` });
    }
    return { count: payload.count };
  };

  it('streams chunks and a result from inside the gateway through the reply path, publishing no request', async () => {
    const { gateway, broker } = await setup({ plugins: [localHandlers({ testRequest })] });
    const client = connect(gateway);
    const before = broker.published();
    expect(await client.request({ id: 'L1', type: 'testRequest', payload: { count: 3 } })).toEqual({ ok: true, id: 'L1' });
    await client.final('L1');
    expect(client.responses).toEqual([
      { kind: 'chunk', id: 'L1', seq: 0, attempt: 1, data: { seq: 0, text: 'chunk 1 of 3' } },
      { kind: 'chunk', id: 'L1', seq: 1, attempt: 1, data: { seq: 1, text: 'chunk 2 of 3' } },
      { kind: 'chunk', id: 'L1', seq: 2, attempt: 1, data: { seq: 2, text: 'chunk 3 of 3' } },
      { kind: 'result', id: 'L1', seq: 3, attempt: 1, data: { count: 3 } },
    ]);
    expect(broker.published()).toBe(before);
  });

  it('passes other types on to workers', async () => {
    const { gateway } = await setup({ plugins: [localHandlers({ testRequest })] });
    const client = connect(gateway);
    await client.request({ id: 'w1', type: 'echo', payload: 1 });
    expect(await client.final('w1')).toMatchObject({ kind: 'result', data: { echoed: 1 } });
  });

  it('cancels a local handler and enforces its deadline', async () => {
    const { gateway } = await setup({ plugins: [localHandlers({ testRequest })] });
    const client = connect(gateway);
    await client.request({ id: 'c1', type: 'testRequest', payload: { count: 100, delayMs: 20 } });
    await until(() => client.responses.length >= 1);
    client.socket.emit('cancel', { id: 'c1', type: 'testRequest' });
    expect(await client.final('c1')).toMatchObject({ kind: 'error', error: { code: 'CANCELLED' } });
    await client.request({ id: 't1', type: 'testRequest', payload: { count: 100, delayMs: 20 }, timeoutMs: 100 });
    expect(await client.final('t1')).toMatchObject({ kind: 'error', error: { code: 'TIMEOUT' } });
  });

  it('reports a throwing local handler as WORKER_ERROR (or its own code), never a stack', async () => {
    const { gateway } = await setup({
      plugins: [
        localHandlers({
          boom: () => {
            throw new Error('kaput');
          },
          picky: () => {
            throw createWarrenError('INVALID_PAYLOAD', 'count must be a number');
          },
        }),
      ],
    });
    const client = connect(gateway);
    await client.request({ id: 'b', type: 'boom' });
    await client.request({ id: 'p', type: 'picky' });
    const boom = await client.final('b');
    // Generic, with a reference to the log line; the exception's text stays in the log.
    expect(boom).toMatchObject({ kind: 'error', id: 'b', seq: 0, attempt: 1, error: { code: 'WORKER_ERROR', details: { reference: expect.any(String) } } });
    expect(JSON.stringify(boom)).not.toContain('kaput');
    expect(await client.final('p')).toMatchObject({ error: { code: 'INVALID_PAYLOAD' } });
  });

  it('delivers a local stream to the resumed session after a reconnect', async () => {
    const { gateway } = await setup({ plugins: [localHandlers({ testRequest })] });
    const first = connect(gateway);
    const { token } = await first.ready;
    await first.request({ id: 's1', type: 'testRequest', payload: { count: 5, delayMs: 30 } });
    await until(() => first.responses.length >= 1);
    first.socket.close();
    const second = connect(gateway, { auth: { session: token } });
    await second.final('s1');
    const seqs = [...first.responses, ...second.responses].filter((r) => r.id === 's1').map((r) => r.seq);
    expect([...new Set(seqs)].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe('plugin options fail the boot', () => {
  it('names the plugin, the field and its range', () => {
    expect(() => rateLimit({ requestsPerSecond: -1 })).toThrow(/rateLimit[\s\S]*requestsPerSecond/);
    expect(() => localHandlers({ 'bad name!': () => 1 })).toThrow(/localHandlers/);
  });

  it('refuses a factory passed instead of a plugin, naming its position', async () => {
    const broker = createMemoryBroker();
    await expect(createGateway({ port: 0, log: quiet, transport: memoryTransport(broker), plugins: [rateLimit as unknown as GatewayPlugin] })).rejects.toThrow(
      /plugins\.0/,
    );
  });

  it('refuses maxPayloadBytes at or above maxFrameBytes', async () => {
    const broker = createMemoryBroker();
    await expect(createGateway({ port: 0, log: quiet, transport: memoryTransport(broker), maxFrameBytes: 1000, maxPayloadBytes: 1000 })).rejects.toThrow(
      /maxPayloadBytes/,
    );
  });
});
