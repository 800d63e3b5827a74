// Acts as the gateway on a memory transport: publishes requests and collects
// each request's responses until its final message.
import { pino } from 'pino';
import type { Response } from '@warren/protocol';
import { createMemoryBroker, memoryTransport, type RequestMessage, type Transport } from '@warren/transport';

export const quietLog = pino({ level: 'silent' });

/** `brokerNow` lets a test make the broker deliver what the worker sees as expired. */
export const createHarness = ({ brokerNow }: { brokerNow?: () => number } = {}) => {
  const broker = createMemoryBroker(brokerNow ? { now: brokerNow } : {});
  const gateway = memoryTransport(broker);
  const workerTransport = (): Transport => memoryTransport(broker);
  const responses = new Map<string, Response[]>();
  const waiters = new Map<string, (all: Response[]) => void>();
  const listening = gateway.consumeReplies(
    's1',
    (response, settle) => {
      settle();
      const list = responses.get(response.id) ?? [];
      list.push(response);
      responses.set(response.id, list);
      if (response.kind !== 'chunk') waiters.get(response.id)?.(list);
    },
    { prefetch: 1000 },
  );
  const call = async (type: string, payload: unknown, extra: Partial<RequestMessage> = {}) => {
    await listening;
    const id = extra.id ?? `r${Math.random().toString(16).slice(2)}`;
    const done = new Promise<Response[]>((resolve) => waiters.set(id, resolve));
    await gateway.publishRequest({ id, type, payload, session: 's1', ...extra });
    return { id, done };
  };
  const cancel = (type: string, id: string, session = 's1') => gateway.publishCancel(type, { id, session });
  return { broker, gateway, workerTransport, call, cancel, responses };
};

export const final = (list: Response[]) => list.at(-1)!;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
