import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClientLogger, type LogEntry } from '../src/index.ts';
import { setup } from './setup.ts';

beforeEach(() => {
  vi.useFakeTimers({ now: 1_700_000_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

const recorder = () => {
  const batches: LogEntry[][] = [];
  let online = true;
  return {
    batches,
    entries: () => batches.flat(),
    setOnline: (value: boolean) => (online = value),
    send: (entries: LogEntry[]) => {
      if (!online) return false;
      batches.push(entries);
      return true;
    },
  };
};

describe('client logger', () => {
  it('batches entries and sends them after the flush interval', () => {
    const out = recorder();
    const logger = createClientLogger({ send: out.send });
    logger.info('one', { requestId: 'r-1', step: 1 });
    logger.warn('two');
    logger.debug('three', {});
    expect(out.batches).toEqual([]);
    vi.advanceTimersByTime(999);
    expect(out.batches).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(out.batches).toEqual([
      [
        { level: 'info', msg: 'one', requestId: 'r-1', fields: { step: 1 }, ts: 1_700_000_000_000 },
        { level: 'warn', msg: 'two', ts: 1_700_000_000_000 },
        { level: 'debug', msg: 'three', ts: 1_700_000_000_000 },
      ],
    ]);
  });

  it('sends a full batch of 20 at once', () => {
    const out = recorder();
    const logger = createClientLogger({ send: out.send });
    for (let i = 0; i < 25; i += 1) logger.info(`m${i}`);
    expect(out.batches.map((b) => b.length)).toEqual([20]);
    vi.advanceTimersByTime(1000);
    expect(out.batches.map((b) => b.length)).toEqual([20, 5]);
  });

  it('drops entries beyond the rate limit and reports the count once the window ends', () => {
    const out = recorder();
    const logger = createClientLogger({ send: out.send });
    for (let i = 0; i < 60; i += 1) logger.error(`e${i}`);
    vi.advanceTimersByTime(1000);
    expect(out.entries()).toHaveLength(50);
    vi.advanceTimersByTime(9000);
    const summary = out.entries().at(-1);
    expect(out.entries()).toHaveLength(51);
    expect(summary).toMatchObject({ level: 'warn', fields: { rateLimited: 10, overflow: 0 } });
    // a new window accepts entries again
    logger.info('fresh');
    vi.advanceTimersByTime(1000);
    expect(out.entries().at(-1)).toMatchObject({ msg: 'fresh' });
  });

  it('buffers while it cannot send, keeps only the newest, then reports the overflow', () => {
    const out = recorder();
    const logger = createClientLogger({ send: out.send }, { maxBuffered: 5, batchSize: 50 });
    out.setOnline(false);
    for (let i = 0; i < 8; i += 1) logger.info(`m${i}`);
    vi.advanceTimersByTime(5000);
    expect(out.batches).toEqual([]);
    out.setOnline(true);
    logger.flush();
    expect(out.entries().map((e) => e.msg)).toEqual(['m3', 'm4', 'm5', 'm6', 'm7', 'client logger dropped 3 entries']);
    expect(out.entries().at(-1)).toMatchObject({ fields: { rateLimited: 0, overflow: 3 } });
  });

  it('never throws: failing send, circular fields, odd messages', () => {
    const logger = createClientLogger({
      send: () => {
        throw new Error('socket gone');
      },
    });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => {
      logger.info('circular', circular);
      logger.warn(42 as unknown as string, null as unknown as Record<string, unknown>);
      logger.error('big', { blob: 'x'.repeat(100_000) });
      for (let i = 0; i < 30; i += 1) logger.debug('spam');
      logger.flush();
      vi.advanceTimersByTime(20_000);
    }).not.toThrow();
  });

  it('keeps entries within the gateway schema limits', () => {
    const out = recorder();
    const logger = createClientLogger({ send: out.send });
    logger.info('m'.repeat(5000), { requestId: 'x'.repeat(200) });
    logger.flush();
    const [entry] = out.entries();
    expect(entry?.msg).toHaveLength(2000);
    expect(entry?.requestId).toBeUndefined();
    expect(entry?.fields).toEqual({ requestId: 'x'.repeat(200) });
    expect(() => createClientLogger({ send: out.send }, { batchSize: 51 })).toThrow(/log\.batchSize/);
  });

  it('replaces fields it cannot serialise and truncates huge ones', () => {
    const out = recorder();
    const logger = createClientLogger({ send: out.send });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    logger.info('circular', circular);
    logger.info('big', { blob: 'x'.repeat(100_000) });
    logger.flush();
    expect(out.entries()[0]?.fields).toHaveProperty('unserializable');
    expect(out.entries()[1]?.fields).toMatchObject({ truncated: true });
  });
});

describe('backend.logger', () => {
  it('ships client-log events, and holds them while disconnected', () => {
    const { socket, backend } = setup();
    backend.logger.info('hello', { requestId: 'r-7' });
    vi.advanceTimersByTime(1000);
    expect(socket.bodies('client-log')).toEqual([{ entries: [{ level: 'info', msg: 'hello', requestId: 'r-7', ts: 1_700_000_000_000 }] }]);
    socket.goOffline();
    backend.logger.warn('while offline');
    vi.advanceTimersByTime(5000);
    expect(socket.bodies('client-log')).toHaveLength(1);
    socket.goOnline();
    expect(socket.bodies('client-log')[1]).toEqual({ entries: [expect.objectContaining({ msg: 'while offline' })] });
  });
});
