// Errors: one button per failure mode, each showing what a person would
// see. Every error keeps its stable code across every hop.
import type { ErrorCode } from '@warren/client';
import { useBackend, useBackendRequest } from '@warren/react';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { useCall } from '../lib/use-call.ts';
import { PageHeader } from './PageHeader.tsx';

interface Scenario {
  code: ErrorCode;
  title: string;
  how: string;
  type: string;
  payload: unknown;
  timeoutMs?: number;
}

const SCENARIOS: Scenario[] = [
  { code: 'NO_HANDLER', title: 'Unknown request type', how: 'Asks for “reticulateSplines”, which no worker serves.', type: 'reticulateSplines', payload: {} },
  {
    code: 'TIMEOUT',
    title: 'Too slow',
    how: 'A 5-second job with a 1-second deadline.',
    type: 'testRequest',
    payload: { count: 1, delayMs: 5000 },
    timeoutMs: 1000,
  },
  {
    code: 'WORKER_ERROR',
    title: 'Worker failure',
    how: 'The worker streams two chunks, then throws. What it threw stays in its log (it could hold a password); you get a plain message and a reference to that log line.',
    type: 'testRequest',
    payload: { count: 2, delayMs: 100, fail: 'The demo worker gave up on purpose' },
  },
  {
    code: 'INVALID_PAYLOAD',
    title: 'Bad input',
    how: 'Sends { count: "three" } where a number is expected.',
    type: 'testRequest',
    payload: { count: 'three' },
  },
];

const ScenarioCard = ({ scenario }: { scenario: Scenario }) => {
  const { logger } = useBackend();
  const request = useBackendRequest(scenario.type);
  const running = request.status === 'pending' || request.status === 'streaming';
  const call = useCall(running);
  const trigger = async () => {
    call.begin();
    logger.info('error demo triggered', { expected: scenario.code });
    const outcome = await request.send(scenario.payload, scenario.timeoutMs === undefined ? {} : { timeoutMs: scenario.timeoutMs });
    if (outcome.status === 'error' && outcome.error.code !== scenario.code) {
      logger.warn('error demo got an unexpected code', { expected: scenario.code, got: outcome.error.code });
    }
  };
  return (
    <div className="card scenario" data-testid={`scenario-${scenario.code}`}>
      <div className="card-head">
        <h2>{scenario.title}</h2>
        <StatusBadge status={request.status} />
      </div>
      <p className="hint">{scenario.how}</p>
      <div className="actions">
        <button type="button" className="btn" onClick={() => !running && void trigger()} aria-disabled={running}>
          {running ? 'Waiting…' : `Trigger ${scenario.code}`}
        </button>
      </div>
      {request.error && (
        <ErrorNotice error={request.error} requestId={call.id} traceId={call.trace?.traceId} onRetry={running ? undefined : () => void trigger()} />
      )}
      {request.status === 'success' && <p className="meta">Unexpectedly succeeded.</p>}
    </div>
  );
};

export const ErrorsPage = () => (
  <>
    <PageHeader title="Error states">Failures are values with a stable code. Each card provokes one and shows it the way a user would see it.</PageHeader>
    <div className="grid-2">
      {SCENARIOS.map((scenario) => (
        <ScenarioCard key={scenario.code} scenario={scenario} />
      ))}
    </div>
  </>
);
