// Operations: for the people who run Warren. Live throughput and latency
// (from the gateway's own counters), request types with their queues and
// consumers, calls in flight with age and attempt, worker instances, recent
// failures with trace ids, and dead-lettered requests to inspect, replay or
// discard. Served by the gateway behind its auth and an operator role.
import { useCallback, useEffect, useRef, useState } from 'react';
import { opsApi, opsToken, setOpsToken, type OpsDeadLetter, type Overview } from '../lib/ops-api.ts';
import { useHashRoute } from '../routes.ts';
import { PageHeader } from './PageHeader.tsx';

const POLL_MS = 2_000;
const LANGUAGE: Record<string, string> = { typescript: 'Node', python: 'Python' };

const ago = (ms: number) => (ms < 1000 ? `${ms} ms` : ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 60_000)} min`);
const time = (epoch: number) => new Date(epoch).toLocaleTimeString();
const count = (n: number | null) => (n === null ? '—' : String(n));

interface Live {
  perSecond: number;
  meanLatencyMs: number | null;
}
const liveRates = (before: Overview | null, after: Overview): Live | null => {
  if (!before) return null;
  const seconds = (after.now - before.now) / 1000;
  if (seconds <= 0) return null;
  const done = after.metrics.latencyCount - before.metrics.latencyCount;
  return {
    perSecond: (after.metrics.ok + after.metrics.failed - before.metrics.ok - before.metrics.failed) / seconds,
    meanLatencyMs: done > 0 ? ((after.metrics.latencySecondsSum - before.metrics.latencySecondsSum) / done) * 1000 : null,
  };
};

const SignIn = ({ message, onToken }: { message: string; onToken: (token: string) => void }) => {
  const [draft, setDraft] = useState('');
  return (
    <form
      className="card ops-signin"
      onSubmit={(e) => {
        e.preventDefault();
        onToken(draft.trim());
      }}
    >
      <h2>Sign in as an operator</h2>
      <p className="hint" data-testid="ops-denied">
        {message}
      </p>
      <label className="field">
        <span>Operator token</span>
        <input type="password" autoComplete="off" value={draft} onChange={(e) => setDraft(e.target.value)} data-testid="ops-token" />
      </label>
      <button type="submit" className="btn btn-primary">
        Sign in
      </button>
    </form>
  );
};

const DeadLetterRow = ({ dead, onChanged }: { dead: OpsDeadLetter; onChanged: () => void }) => {
  const [detail, setDetail] = useState<OpsDeadLetter | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const act = async (what: 'inspect' | 'replay' | 'discard') => {
    setBusy(true);
    setProblem(null);
    const result = await opsApi[what](dead.key);
    setBusy(false);
    if (!result.ok) return setProblem(result.message);
    if (what === 'inspect') setDetail(result.value as OpsDeadLetter);
    onChanged();
  };
  const last = dead.replays.at(-1);
  return (
    <li className="dead-letter" data-testid="dead-letter" data-request-id={dead.id}>
      <div className="dead-head">
        <strong>{dead.type}</strong>
        <span className="tag">
          {dead.reason === 'delivery_limit'
            ? `workers failed ${dead.deliveries} times`
            : dead.reason === 'expired'
              ? 'deadline passed in the queue'
              : dead.reason}
        </span>
        <span className="meta">at {time(dead.receivedAt)}</span>
      </div>
      <p className="meta">
        request <code>{dead.id}</code>
        {dead.traceId && (
          <>
            {' '}
            · trace <code>{dead.traceId}</code>
          </>
        )}
      </p>
      <div className="actions">
        <button type="button" className="btn btn-small" onClick={() => void act('inspect')} aria-expanded={detail !== null} disabled={busy}>
          Inspect
        </button>
        <button type="button" className="btn btn-small btn-primary" onClick={() => void act('replay')} disabled={busy || !dead.replayable}>
          Replay
        </button>
        <button type="button" className="btn btn-small btn-danger" onClick={() => void act('discard')} disabled={busy}>
          Discard
        </button>
      </div>
      {problem && (
        <p className="field-error" role="alert">
          {problem}
        </p>
      )}
      {last && (
        <p className="meta" data-testid="replay-status" role="status">
          Replayed by {last.by} at {time(last.at)}:{' '}
          {last.outcome === undefined
            ? 'running…'
            : last.outcome === 'ok'
              ? 'succeeded'
              : `failed with ${last.outcome}${last.error ? ` (${last.error.message})` : ''}`}
        </p>
      )}
      {detail?.request && (
        <div className="dead-detail" data-testid="dead-letter-detail">
          <h4>Payload</h4>
          <pre className="code-block">{JSON.stringify(detail.request.payload, null, 2)}</pre>
          <p className="meta">
            Caller: <code>{detail.request.principal === null ? 'anonymous' : JSON.stringify(detail.request.principal)}</code> · traceparent{' '}
            <code>{detail.request.traceparent ?? '—'}</code>
          </p>
        </div>
      )}
    </li>
  );
};

export const OperationsPage = () => {
  const active = useHashRoute() === 'operations';
  const [overview, setOverview] = useState<Overview | null>(null);
  const [live, setLive] = useState<Live | null>(null);
  const [denied, setDenied] = useState<{ status: number; message: string } | null>(null);
  const previous = useRef<Overview | null>(null);
  const [, setTokenVersion] = useState(0);

  const load = useCallback(async () => {
    const result = await opsApi.overview();
    if (!result.ok) {
      setDenied({ status: result.status, message: result.message });
      setOverview(null);
      return;
    }
    setDenied(null);
    setLive(liveRates(previous.current, result.value));
    previous.current = result.value;
    setOverview(result.value);
  }, []);

  useEffect(() => {
    if (!active) return;
    void load();
    const timer = setInterval(() => !document.hidden && void load(), POLL_MS);
    return () => clearInterval(timer);
  }, [active, load]);

  const signIn = (token: string) => {
    setOpsToken(token);
    setTokenVersion((v) => v + 1);
    void load();
  };

  return (
    <>
      <PageHeader title="Operations">
        For the people who run Warren: what is running now, what queues up, which workers are alive, what failed, and requests set aside after repeated
        failures, which you can inspect and send again.
      </PageHeader>
      {denied && (denied.status === 401 || (denied.status === 403 && opsToken() !== '')) && <SignIn message={denied.message} onToken={signIn} />}
      {denied && denied.status !== 401 && !(denied.status === 403 && opsToken() !== '') && (
        <div className="card" data-testid="ops-denied" role="status">
          <h2>Not available</h2>
          <p className="hint">{denied.message}</p>
        </div>
      )}
      {overview && (
        <div className="ops" data-testid="ops-console">
          <p className="meta">
            Signed in as <strong>{overview.principal}</strong> · namespace <code>{overview.namespace}</code> · broker {overview.broker}
            {opsToken() !== '' && (
              <>
                {' '}
                ·{' '}
                <button type="button" className="linkish" onClick={() => signIn('')}>
                  Sign out
                </button>
              </>
            )}
          </p>
          <div className="stats" aria-label="Live figures">
            <div className="stat">
              <span className="stat-value" data-testid="ops-throughput">
                {live ? live.perSecond.toFixed(1) : '…'}
              </span>
              <span className="stat-label">requests per second</span>
            </div>
            <div className="stat">
              <span className="stat-value">{live?.meanLatencyMs == null ? '—' : `${Math.round(live.meanLatencyMs)} ms`}</span>
              <span className="stat-label">mean latency, last {POLL_MS / 1000} s</span>
            </div>
            <div className="stat">
              <span className="stat-value">{overview.inFlight.length}</span>
              <span className="stat-label">in flight</span>
            </div>
            <div className="stat">
              <span className="stat-value">{overview.metrics.ok + overview.metrics.failed}</span>
              <span className="stat-label">answered since start ({overview.metrics.failed} failed)</span>
            </div>
          </div>

          <section className="card" aria-labelledby="ops-types">
            <h2 id="ops-types">Request types</h2>
            {overview.queueError && <p className="hint">{overview.queueError}</p>}
            <div className="table-wrap">
              <table data-testid="ops-types">
                <thead>
                  <tr>
                    <th scope="col">Type</th>
                    <th scope="col">In flight</th>
                    <th scope="col">Waiting in queue</th>
                    <th scope="col">Consumers</th>
                    <th scope="col">Live instances</th>
                  </tr>
                </thead>
                <tbody>
                  {overview.types.map((t) => (
                    <tr key={t.type} data-type={t.type}>
                      <th scope="row">
                        <code>{t.type}</code>
                      </th>
                      <td>{t.inFlight}</td>
                      <td>{count(t.queued)}</td>
                      <td>{count(t.consumers)}</td>
                      <td>{t.instances}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>

          <section className="card" aria-labelledby="ops-inflight">
            <h2 id="ops-inflight">In flight</h2>
            {overview.inFlight.length === 0 ? (
              <p className="empty">Nothing is running right now.</p>
            ) : (
              <div className="table-wrap">
                <table data-testid="ops-inflight">
                  <thead>
                    <tr>
                      <th scope="col">Type</th>
                      <th scope="col">Age</th>
                      <th scope="col">Attempt</th>
                      <th scope="col">Request</th>
                      <th scope="col">Trace</th>
                    </tr>
                  </thead>
                  <tbody>
                    {overview.inFlight.map((c) => (
                      <tr key={c.id}>
                        <td>
                          <code>{c.type}</code>
                        </td>
                        <td>{ago(c.ageMs)}</td>
                        <td>{c.attempt === 0 ? 'queued' : c.attempt}</td>
                        <td>
                          <code>{c.id}</code>
                        </td>
                        <td>
                          <code>{c.traceId ?? '—'}</code>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>

          <section className="card" aria-labelledby="ops-workers">
            <h2 id="ops-workers">Workers</h2>
            {overview.instances.length === 0 ? (
              <p className="empty">No worker has announced itself.</p>
            ) : (
              <ul className="plain-list" data-testid="ops-workers">
                {overview.instances.map((i) => (
                  <li key={i.instanceId}>
                    <strong>{i.service}</strong> <span className="tag">{LANGUAGE[i.language] ?? i.language}</span> <code>{i.instanceId}</code>
                    <span className="meta">
                      {' '}
                      serves {i.types.join(', ')} · up {ago(overview.now - i.startedAt)} · last heard {ago(Math.max(0, overview.now - i.lastSeenAt))} ago
                    </span>
                  </li>
                ))}
              </ul>
            )}
          </section>

          <section className="card" aria-labelledby="ops-failures">
            <h2 id="ops-failures">Recent failures</h2>
            {overview.failures.length === 0 ? (
              <p className="empty">No failures since this gateway started.</p>
            ) : (
              <ul className="plain-list" data-testid="ops-failures">
                {overview.failures.map((c) => (
                  <li key={`${c.id}-${c.acceptedAt}`}>
                    <code className="code-badge">{c.outcome}</code> <code>{c.type}</code> <span className="meta">at {time(c.finishedAt ?? c.acceptedAt)}</span>
                    <div className="meta">
                      {c.error?.message} · request <code>{c.id}</code> · trace <code>{c.traceId ?? '—'}</code>
                    </div>
                  </li>
                ))}
              </ul>
            )}
          </section>

          <section className="card" aria-labelledby="ops-dead">
            <h2 id="ops-dead">Dead letters</h2>
            <p className="hint">
              Requests RabbitMQ gave up on: workers failed on them too often, or their deadline passed while they waited. Their callers were told at once.
              {overview.deadLetterQueue && ` Dead-letter queue: ${count(overview.deadLetterQueue.messages)} waiting.`}
            </p>
            {overview.deadLetters.length === 0 ? (
              <p className="empty">None kept.</p>
            ) : (
              <ul className="plain-list" data-testid="ops-dead-letters">
                {overview.deadLetters.map((d) => (
                  <DeadLetterRow key={d.key} dead={d} onChanged={() => void load()} />
                ))}
              </ul>
            )}
          </section>
        </div>
      )}
    </>
  );
};
