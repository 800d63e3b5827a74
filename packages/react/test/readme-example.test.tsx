// @vitest-environment happy-dom
// The README's complete component, verbatim, driven through its states.
import './dom.ts';
import { act, fireEvent, render, screen } from '@testing-library/react';
import { StrictMode } from 'react';
import { describe, expect, it } from 'vitest';
import { BackendProvider, useBackend, useBackendRequest } from '../src/index.ts';
import { createFakeBackend, flush } from '../../client/test/fake-backend.ts';

// --- from README.md ---
interface Step {
  step: number;
  steps: number;
  progress: number;
}
interface Done {
  steps: number;
  done: boolean;
}

export const LongTask = () => {
  const { logger } = useBackend();
  const task = useBackendRequest<Done, Step, { steps: number; stepMs: number }>('longTask', {
    timeoutMs: 60_000,
  });
  const running = task.status === 'pending' || task.status === 'streaming';
  const step = task.chunks.at(-1)?.step ?? 0;

  const start = async () => {
    const outcome = await task.send({ steps: 20, stepMs: 500 }); // never rejects
    if (outcome.status === 'error') logger.warn('long task failed', { code: outcome.error.code });
  };

  return (
    <section>
      <progress max={1} value={task.progress ?? 0} />
      {task.status === 'idle' && <p>Ready.</p>}
      {task.status === 'pending' && <p>Starting…{task.attempt > 1 && ` (attempt ${task.attempt})`}</p>}
      {task.status === 'streaming' && <p>Step {step} of 20</p>}
      {task.status === 'success' && <p>Done: {JSON.stringify(task.data)}</p>}
      {task.status === 'cancelled' && <p>Cancelled after step {step}.</p>}
      {task.status === 'error' && (
        <p role="alert">
          {task.error?.code}: {task.error?.message}
        </p>
      )}
      {running ? <button onClick={task.cancel}>Cancel</button> : <button onClick={start}>Start</button>}
    </section>
  );
};
// --- end ---

const step = (fn: () => void) =>
  act(async () => {
    fn();
    await flush();
  });

describe('README example', () => {
  it('runs, restarts, cancels, fails and logs', async () => {
    const fake = createFakeBackend();
    render(
      <StrictMode>
        <BackendProvider backend={fake.backend}>
          <LongTask />
        </BackendProvider>
      </StrictMode>,
    );
    screen.getByText('Ready.');
    await step(() => fireEvent.click(screen.getByText('Start')));
    screen.getByText('Starting…');
    await step(() => fake.calls[0]!.chunk({ step: 1, steps: 20, progress: 0.05 }));
    screen.getByText('Step 1 of 20');
    expect((screen.getByRole('progressbar') as HTMLProgressElement).value).toBe(0.05);
    await step(() => fake.calls[0]!.restart(2));
    screen.getByText('Starting… (attempt 2)');
    await step(() => fake.calls[0]!.chunk({ step: 1, steps: 20, progress: 0.05 }));
    await step(() => fireEvent.click(screen.getByText('Cancel')));
    screen.getByText('Cancelled after step 1.');
    expect(fake.calls[0]!.aborted).toBe(true);
    await step(() => fireEvent.click(screen.getByText('Start')));
    await step(() => fake.calls[1]!.reject('WORKER_ERROR', 'disk full'));
    expect(screen.getByRole('alert').textContent).toBe('WORKER_ERROR: disk full');
    expect(fake.logs).toContainEqual({ level: 'warn', msg: 'long task failed' });
    expect(fake.calls).toHaveLength(2);
  });
});
