// W3C traceparent from the browser frame through the gateway and AMQP headers
// into a Python handler (ctx.traceparent) and a Node one, unchanged, and onto
// the log lines of every hop. A request without one gets one at the gateway.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ack, Response } from '@warren/protocol';
import { isValidTraceparent } from '@warren/gateway';
import { killAll, root, startCommand, startGateway, startProcess, type Proc, isReady } from '../support/processes.ts';
import { deleteNamespace, uniqueNamespace } from '../support/rabbit.ts';

const namespace = uniqueNamespace('trace');
const hasAioPika = (() => {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import aio_pika'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const CI = Boolean(process.env.CI && process.env.CI !== 'false');

describe.skipIf(!hasAioPika && !CI)('traceparent across gateway, AMQP and workers', () => {
  let gateway: { proc: Proc; url: string };
  let python: Proc;
  let node: Proc;
  let socket: Socket;
  const responses: Response[] = [];
  const call = async (frame: Record<string, unknown>) => {
    const ack = await new Promise<Ack>((resolve) => socket.emit('request', frame, resolve));
    expect(ack).toEqual({ ok: true, id: frame.id });
    const end = Date.now() + 10_000;
    while (!responses.some((r) => r.id === frame.id && r.kind !== 'chunk')) {
      if (Date.now() > end) throw new Error(`no answer to ${String(frame.id)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return responses.find((r) => r.id === frame.id && r.kind !== 'chunk')!;
  };

  beforeAll(async () => {
    gateway = await startGateway('bun', namespace);
    python = startCommand('python trace worker', '/usr/bin/python3', [join(root, 'test/security/fixtures/trace_worker.py')], {
      WARREN_NAMESPACE: namespace,
      PYTHONUNBUFFERED: '1',
    });
    await python.waitFor(isReady);
    node = startProcess('node', 'test/security/fixtures/worker.ts', { WARREN_NAMESPACE: namespace });
    await node.waitFor(isReady);
    socket = io(gateway.url, { transports: ['websocket'], reconnection: false });
    socket.on('response', (r: Response, ack: () => void) => {
      responses.push(r);
      ack();
    });
  });

  afterAll(async () => {
    socket?.close();
    await killAll();
    await deleteNamespace(namespace);
  });

  it('arrives unchanged in a Python handler and is on the gateway and Python log lines', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const answer = await call({ id: 'py-1', type: 'pytrace', payload: null, traceparent });
    expect(answer).toMatchObject({ kind: 'result', data: { traceparent } });
    const gatewayLines = gateway.proc
      .output()
      .split('\n')
      .filter((l) => l.includes('"requestId":"py-1"'));
    expect(gatewayLines.length).toBeGreaterThan(0);
    for (const line of gatewayLines) expect(JSON.parse(line).traceparent).toBe(traceparent);
    await python.waitFor((l) => String(l.msg ?? '').includes('python handler saw the request'));
    const pyLine = python
      .output()
      .split('\n')
      .find((l) => l.includes('python handler saw the request'))!;
    expect(pyLine).toContain(traceparent);
  });

  it('arrives unchanged in a Node handler and on its log lines', async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    expect(await call({ id: 'node-1', type: 'whoami', traceparent })).toMatchObject({ data: { traceparent } });
    const line = await node.waitFor((l) => l.requestId === 'node-1' && l.msg === 'request finished');
    expect(line.traceparent).toBe(traceparent);
  });

  it('is made by the gateway when the client sends none, and the same one reaches the worker', async () => {
    const answer = await call({ id: 'py-2', type: 'pytrace', payload: null });
    const made = (answer as { data: { traceparent: string } }).data.traceparent;
    expect(isValidTraceparent(made)).toBe(true);
    // The log line travels through a pipe and may arrive after the answer did.
    const accepted = await gateway.proc.waitFor((l) => l.requestId === 'py-2' && l.msg === 'request accepted');
    expect(accepted.traceparent).toBe(made);
  });
});
