// Long task: about ten seconds of work with a progress bar and a Cancel
// button whose cancel travels all the way to the worker. Each run is a
// retained call under its own key, kept in this tab's sessionStorage: after
// a reload the page attaches to it again, so the bar is where the worker is
// and Cancel still stops it; a finished run shows its result without
// running again. While the job waits for a worker it shows its place.
import { useState } from 'react';
import { useBackend, useBackendRequest } from '@warren/react';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { ProgressBar } from '../components/ProgressBar.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { newCallKey, readTabValue, writeTabValue } from '../lib/tab-storage.ts';
import { useCall } from '../lib/use-call.ts';
import { PageHeader } from './PageHeader.tsx';

const TASK = { steps: 20, stepMs: 500 };

interface StepChunk {
  step: number;
  steps: number;
  progress: number;
}

/** sessionStorage: the key of the run this tab shows. */
const TASK_KEY = 'warren-demo.long-task';
const isString = (value: unknown): value is string => typeof value === 'string';

const ahead = (position: number): string => (position === 0 ? 'Next in the queue' : `${position} ahead of you`);

const headline = (status: string, step: number, position: number | undefined): string => {
  switch (status) {
    case 'queued':
      return `Waiting for a worker: ${ahead(position ?? 0)}`;
    case 'pending':
      return step === 0 ? 'Starting…' : `Working… step ${step} of ${TASK.steps}`;
    case 'streaming':
      return `Working… step ${step} of ${TASK.steps}`;
    case 'success':
      return 'Finished';
    case 'cancelled':
      return `Cancelled after step ${step} of ${TASK.steps}`;
    case 'error':
      return 'The task failed';
    default:
      return `${TASK.steps} steps of ${TASK.stepMs} ms — about ${(TASK.steps * TASK.stepMs) / 1000} seconds`;
  }
};

export const LongTaskPage = () => {
  const backend = useBackend();
  const { logger } = backend;
  // The run this tab started last; on mount the hook attaches to it if the client still knows it.
  const [resumeKey] = useState(() => readTabValue(TASK_KEY, isString));
  const task = useBackendRequest<{ steps: number; done: boolean }, StepChunk>('longTask', { timeoutMs: 60_000, key: resumeKey });
  const step = task.chunks.at(-1)?.step ?? 0;
  const running = task.status === 'pending' || task.status === 'queued' || task.status === 'streaming';
  // A resumed run's hops are the original request's (same session).
  const call = useCall(running, 1000, resumeKey === undefined ? undefined : backend.retainedCall(resumeKey)?.id);

  const start = () => {
    logger.info('long task started', TASK);
    const key = newCallKey('task');
    writeTabValue(TASK_KEY, key);
    call.begin();
    void task.send(TASK, { key });
  };
  const cancel = () => {
    logger.info('long task cancelled by the user', { step, steps: TASK.steps });
    task.cancel();
  };

  return (
    <>
      <PageHeader title="Long task">A Node worker runs a slow job and reports progress. Cancel reaches the worker, which stops where it is.</PageHeader>
      {/* data-steps: every step this page was shown, in order (the browser tests check none is missing or doubled). */}
      <div className="card task" data-testid="long-task" data-steps={task.chunks.map((c) => c.step).join(',')}>
        <div className="card-head">
          <h2>Rebuild the search index</h2>
          <StatusBadge status={task.status} />
        </div>
        <p className="task-headline" data-testid="task-headline">
          {headline(task.status, step, task.position)}
        </p>
        <ProgressBar value={task.status === 'success' ? 1 : (task.progress ?? 0)} label="Task progress" />
        <p className="meta">{Math.round((task.status === 'success' ? 1 : (task.progress ?? 0)) * 100)}%</p>
        {/* Start and Cancel are one button (same element), so keyboard focus stays on it. */}
        <div className="actions">
          {running ? (
            <button type="button" className="btn btn-danger" onClick={cancel} data-testid="task-action">
              Cancel
            </button>
          ) : (
            <button type="button" className="btn btn-primary" onClick={start} data-testid="task-action">
              {task.status === 'idle' ? 'Start task' : 'Start again'}
            </button>
          )}
        </div>
        {task.error && task.status === 'error' && (
          <ErrorNotice error={task.error} requestId={call.id} traceId={call.trace?.traceId} onRetry={start} retryLabel="Try again" />
        )}
      </div>
    </>
  );
};
