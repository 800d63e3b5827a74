// @vitest-environment happy-dom
// useBackendRequest through real components: every state on screen,
// StrictMode, unmount, restarts, and cancel vs queue.
import './dom.ts';
import { act } from '@testing-library/react';
import { useEffect, useState } from 'react';
import { describe, expect, it } from 'vitest';
import { useBackendRequest, type UseBackendRequestOptions } from '../src/index.ts';
import { flush } from '../../client/test/fake-backend.ts';
import { click, mount, step, text } from './mount.tsx';

interface Chunk {
  text?: string;
  progress?: number;
}

const Probe = ({ options, payload = { n: 1 } }: { options?: UseBackendRequestOptions<Chunk>; payload?: unknown }) => {
  const request = useBackendRequest<{ total: number }, Chunk>('work', options);
  return (
    <div>
      <output data-testid="status">{request.status}</output>
      <output data-testid="chunks">{request.chunks.map((c) => c.text ?? '').join(',')}</output>
      <output data-testid="data">{JSON.stringify(request.data ?? null)}</output>
      <output data-testid="progress">{String(request.progress)}</output>
      <output data-testid="error">{request.error?.code ?? ''}</output>
      <output data-testid="attempt">{request.attempt}</output>
      <output data-testid="queued">{request.queued}</output>
      <button onClick={() => void request.send(payload)}>send</button>
      <button onClick={request.cancel}>cancel</button>
      <button onClick={request.reset}>reset</button>
    </div>
  );
};

describe('useBackendRequest', () => {
  it('renders idle, pending, streaming with progress, then success', async () => {
    const { calls } = mount(<Probe />);
    expect(text('status')).toBe('idle');
    expect(text('attempt')).toBe('0');
    await step(() => click('send'));
    expect(text('status')).toBe('pending');
    expect(text('attempt')).toBe('1');
    await step(() => calls[0]!.chunk({ text: 'a', progress: 0.5 }));
    expect(text('status')).toBe('streaming');
    expect(text('chunks')).toBe('a');
    expect(text('progress')).toBe('0.5');
    await step(() => calls[0]!.resolve({ total: 1 }));
    expect(text('status')).toBe('success');
    expect(text('data')).toBe('{"total":1}');
  });

  it('renders error with its code', async () => {
    const { calls } = mount(<Probe />);
    await step(() => click('send'));
    await step(() => calls[0]!.reject('NO_HANDLER'));
    expect(text('status')).toBe('error');
    expect(text('error')).toBe('NO_HANDLER');
  });

  it('cancel() shows cancelled and aborts the request', async () => {
    const { calls } = mount(<Probe />);
    await step(() => click('send'));
    await step(() => click('cancel'));
    expect(text('status')).toBe('cancelled');
    expect(text('error')).toBe('CANCELLED');
    expect(calls[0]!.aborted).toBe(true);
  });

  it('reset() returns to idle', async () => {
    const { calls } = mount(<Probe />);
    await step(() => click('send'));
    await step(() => calls[0]!.chunk({ text: 'a' }));
    await step(() => click('reset'));
    expect(text('status')).toBe('idle');
    expect(text('chunks')).toBe('');
    expect(calls[0]!.aborted).toBe(true);
  });

  it('a restart shows only the new attempt’s chunks', async () => {
    const { calls } = mount(<Probe />);
    await step(() => click('send'));
    await step(() => calls[0]!.chunk({ text: 'x1' }));
    await step(() => calls[0]!.chunk({ text: 'x2' }));
    await step(() => calls[0]!.restart(2));
    expect(text('chunks')).toBe('');
    expect(text('attempt')).toBe('2');
    await step(() => calls[0]!.chunk({ text: 'y1' }));
    expect(text('chunks')).toBe('y1');
    expect(text('status')).toBe('streaming');
  });

  it('unmount cancels the request in flight', async () => {
    const { calls, view } = mount(<Probe />);
    await step(() => click('send'));
    expect(calls[0]!.aborted).toBe(false);
    view.unmount();
    await flush();
    expect(calls[0]!.aborted).toBe(true);
  });

  it('StrictMode: one click sends one request, and unmount still cancels it', async () => {
    const { calls, view } = mount(<Probe />, { strict: true });
    await step(() => click('send'));
    expect(calls).toHaveLength(1);
    await step(() => calls[0]!.chunk({ text: 'a' }));
    expect(text('chunks')).toBe('a');
    expect(calls[0]!.aborted).toBe(false); // the simulated unmount did not cancel anything
    view.unmount();
    await flush();
    expect(calls[0]!.aborted).toBe(true);
  });

  it('StrictMode: a send from a mount effect reaches the backend once', async () => {
    const OnMount = () => {
      const { send, status, data } = useBackendRequest<{ total: number }>('work');
      useEffect(() => {
        void send({ n: 1 });
      }, [send]);
      return <output data-testid="status">{`${status}:${JSON.stringify(data ?? null)}`}</output>;
    };
    const { calls } = mount(<OnMount />, { strict: true });
    await act(flush);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.aborted).toBe(false);
    await step(() => calls[0]!.resolve({ total: 1 }));
    expect(text('status')).toBe('success:{"total":1}');
  });

  it("concurrent 'cancel' (default): sending again cancels the previous request", async () => {
    const { calls } = mount(<Probe />);
    await step(() => click('send'));
    await step(() => click('send'));
    expect(calls).toHaveLength(2);
    expect(calls[0]!.aborted).toBe(true);
    expect(calls[1]!.aborted).toBe(false);
    expect(text('status')).toBe('pending');
  });

  it("concurrent 'queue': sending again waits for the previous request", async () => {
    const { calls } = mount(<Probe options={{ concurrent: 'queue' }} />);
    await step(() => click('send'));
    await step(() => click('send'));
    expect(calls).toHaveLength(1);
    expect(text('queued')).toBe('1');
    await step(() => calls[0]!.resolve({ total: 1 }));
    expect(calls).toHaveLength(2);
    expect(calls[0]!.aborted).toBe(false);
    expect(text('queued')).toBe('0');
    expect(text('status')).toBe('pending');
  });

  it('uses the latest type and options for the next send', async () => {
    const Switcher = () => {
      const [type, setType] = useState('first');
      const { send } = useBackendRequest(type, { timeoutMs: type === 'first' ? 100 : 200 });
      return (
        <>
          <button onClick={() => setType('second')}>switch</button>
          <button onClick={() => void send(null)}>send</button>
        </>
      );
    };
    const { calls } = mount(<Switcher />);
    await step(() => click('send'));
    await step(() => click('switch'));
    await step(() => click('send'));
    expect(calls.map((c) => [c.type, c.options.timeoutMs])).toEqual([
      ['first', 100],
      ['second', 200],
    ]);
  });

  it('send resolves with the outcome for code that awaits it', async () => {
    let outcome: unknown;
    const Awaiting = () => {
      const { send } = useBackendRequest<string>('work');
      return <button onClick={async () => (outcome = await send(1))}>send</button>;
    };
    const { calls } = mount(<Awaiting />);
    await step(() => click('send'));
    await step(() => calls[0]!.resolve('done'));
    expect(outcome).toEqual({ status: 'success', data: 'done' });
  });
});
