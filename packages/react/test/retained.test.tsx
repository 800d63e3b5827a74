// @vitest-environment happy-dom
// useBackendRequest with a key (retained calls) and the 'queued' status,
// through real components over the scripted backend.
import './dom.ts';
import { describe, expect, it } from 'vitest';
import { useBackendRequest } from '../src/index.ts';
import { click, mount, step, text } from './mount.tsx';

const Probe = ({ taskKey, sendKey }: { taskKey?: string; sendKey?: string }) => {
  const request = useBackendRequest<string, string>('work', taskKey === undefined ? {} : { key: taskKey });
  return (
    <div>
      <output data-testid="status">{request.status}</output>
      <output data-testid="position">{request.status === 'queued' ? `${request.position} ahead of you` : ''}</output>
      <output data-testid="chunks">{request.chunks.join(',')}</output>
      <output data-testid="data">{request.data ?? ''}</output>
      <output data-testid="error">{request.error?.code ?? ''}</output>
      <output data-testid="key">{request.key ?? ''}</output>
      <button onClick={() => void request.send({ n: 1 }, sendKey === undefined ? {} : { key: sendKey })}>send</button>
      <button onClick={request.cancel}>cancel</button>
      <button onClick={request.reset}>reset</button>
    </div>
  );
};

describe('useBackendRequest with a key', () => {
  it('on mount attaches to the call the call store remembers, and shows it from the first chunk to the result', async () => {
    const { calls } = mount(<Probe taskKey="task-1" />, { stored: ['task-1'] });
    await step(() => undefined);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ mode: 'attach', type: 'work' });
    expect(calls[0]!.options.key).toBe('task-1');
    expect(text('status')).toBe('pending');
    expect(text('key')).toBe('task-1');
    await step(() => {
      calls[0]!.chunk('a');
      calls[0]!.chunk('b');
    });
    expect(text('status')).toBe('streaming');
    expect(text('chunks')).toBe('a,b');
    await step(() => calls[0]!.resolve('ab'));
    expect(text('status')).toBe('success');
    expect(text('data')).toBe('ab');
  });

  it('attaches once under StrictMode', async () => {
    const { calls } = mount(<Probe taskKey="task-1" />, { stored: ['task-1'], strict: true });
    await step(() => undefined);
    expect(calls.filter((c) => !c.aborted)).toHaveLength(1);
    expect(calls).toHaveLength(1);
  });

  it('does nothing on mount when the call store does not know the key', async () => {
    const { calls } = mount(<Probe taskKey="task-1" />, { stored: ['another'] });
    await step(() => undefined);
    expect(calls).toHaveLength(0);
    expect(text('status')).toBe('idle');
  });

  it('send runs-or-attaches with the key (the per-send key wins), and reset() forgets it', async () => {
    const { calls, callStore } = mount(<Probe taskKey="task-1" sendKey="turn-9" />);
    await step(() => click('send'));
    expect(calls[0]).toMatchObject({ mode: 'run', payload: { n: 1 } });
    expect(calls[0]!.options.key).toBe('turn-9');
    expect(callStore.get('turn-9')).toBeDefined();
    await step(() => calls[0]!.resolve('done'));
    await step(() => click('reset'));
    expect(callStore.get('turn-9')).toBeUndefined();
    expect(text('status')).toBe('idle');
    expect(text('key')).toBe('');
  });

  it('an expired call shows EXPIRED and is gone from the call store', async () => {
    const { calls, callStore } = mount(<Probe taskKey="task-1" />, { stored: ['task-1'] });
    await step(() => calls[0]!.reject('EXPIRED', 'no longer retained'));
    expect(text('status')).toBe('error');
    expect(text('error')).toBe('EXPIRED');
    expect(callStore.get('task-1')).toBeUndefined();
  });

  it("shows 'queued' with the position while the call waits, then streams", async () => {
    const { calls } = mount(<Probe />);
    await step(() => click('send'));
    await step(() => calls[0]!.queued(3));
    expect(text('status')).toBe('queued');
    expect(text('position')).toBe('3 ahead of you');
    await step(() => calls[0]!.queued(0));
    expect(text('position')).toBe('0 ahead of you');
    await step(() => calls[0]!.chunk('a'));
    expect(text('status')).toBe('streaming');
    expect(text('position')).toBe('');
    await step(() => calls[0]!.queued(2)); // late frame: already streaming
    expect(text('status')).toBe('streaming');
  });

  it("a first position of 0 keeps 'pending': every request hears it right after acceptance, worker or not", async () => {
    const { calls } = mount(<Probe />);
    await step(() => click('send'));
    await step(() => calls[0]!.queued(0));
    expect(text('status')).toBe('pending');
    expect(text('position')).toBe('');
  });

  it('cancel while queued shows cancelled without a position', async () => {
    const { calls } = mount(<Probe />);
    await step(() => click('send'));
    await step(() => calls[0]!.queued(5));
    await step(() => click('cancel'));
    expect(calls[0]!.aborted).toBe(true);
    expect(text('status')).toBe('cancelled');
    expect(text('position')).toBe('');
  });
});
