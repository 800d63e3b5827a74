// Long task: about ten seconds of work with a progress bar and a Cancel
// button whose cancel travels all the way to the worker.
import { useBackend, useBackendRequest } from '@warren/react';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { ProgressBar } from '../components/ProgressBar.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { useCall } from '../lib/use-call.ts';
import { PageHeader } from './PageHeader.tsx';

const TASK = { steps: 20, stepMs: 500 };

interface StepChunk {
  step: number;
  steps: number;
  progress: number;
}

const headline = (status: string, step: number): string => {
  switch (status) {
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
  const { logger } = useBackend();
  const task = useBackendRequest<{ steps: number; done: boolean }, StepChunk>('longTask', { timeoutMs: 60_000 });
  const step = task.chunks.at(-1)?.step ?? 0;
  const running = task.status === 'pending' || task.status === 'streaming';
  const call = useCall(running, 1000);

  const start = () => {
    logger.info('long task started', TASK);
    call.begin();
    void task.send(TASK);
  };
  const cancel = () => {
    logger.info('long task cancelled by the user', { step, steps: TASK.steps });
    task.cancel();
  };

  return (
    <>
      <PageHeader title="Long task">A Node worker runs a slow job and reports progress. Cancel reaches the worker, which stops where it is.</PageHeader>
      <div className="card task" data-testid="long-task">
        <div className="card-head">
          <h2>Rebuild the search index</h2>
          <StatusBadge status={task.status} />
        </div>
        <p className="task-headline" data-testid="task-headline">
          {headline(task.status, step)}
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
