// Console: pick a request type, edit its JSON payload, send it, and watch
// chunks and the result (or the error) arrive live. Types come from the live
// service registry too, with a payload pre-filled from their schema.
import type { Catalogue } from '@warren/client';
import { useBackend, useBackendRequest } from '@warren/react';
import { useEffect, useState } from 'react';
import { backend } from '../backend.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { ProgressBar } from '../components/ProgressBar.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { REQUEST_TYPES } from '../request-types.ts';
import { consoleTypes } from './ConsoleTypes.ts';
import { PageHeader } from './PageHeader.tsx';

const pretty = (value: unknown) => JSON.stringify(value, null, 2);

/** `name` in a description renders as code. */
const withCode = (text: string) => text.split('`').map((part, i) => (i % 2 === 1 ? <code key={i}>{part}</code> : part));

const parsePayload = (text: string): { ok: true; value: unknown } | { ok: false; message: string } => {
  try {
    return { ok: true, value: text.trim() === '' ? null : JSON.parse(text) };
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
};

export const ConsolePage = () => {
  const { logger } = useBackend();
  const [type, setType] = useState(REQUEST_TYPES[0]!.type);
  const [payloadText, setPayloadText] = useState(pretty(REQUEST_TYPES[0]!.payload));
  const [timeoutText, setTimeoutText] = useState('30000');
  const [sentAt, setSentAt] = useState<number | null>(null);
  const [elapsedMs, setElapsedMs] = useState<number | null>(null);
  const [live, setLive] = useState<Catalogue | null>(null);
  useEffect(() => {
    let mounted = true;
    backend.services().then((catalogue) => mounted && setLive(catalogue), () => undefined); // the static list still works
    return () => {
      mounted = false;
    };
  }, []);
  const types = consoleTypes(REQUEST_TYPES, live);
  const request = useBackendRequest(type, { maxChunks: 500 });
  const parsed = parsePayload(payloadText);
  const timeoutMs = Number(timeoutText);
  const timeoutOk = Number.isInteger(timeoutMs) && timeoutMs >= 0;
  const running = request.status === 'pending' || request.status === 'streaming';
  const info = types.find((t) => t.type === type);

  const pick = (next: string) => {
    setType(next);
    const example = types.find((t) => t.type === next);
    if (example) setPayloadText(pretty(example.payload));
  };

  const send = async () => {
    if (!parsed.ok || !timeoutOk) return;
    const started = Date.now();
    setSentAt(started);
    setElapsedMs(null);
    logger.info('console request sent', { type, timeoutMs });
    const outcome = await request.send(parsed.value, { timeoutMs });
    setElapsedMs(Date.now() - started);
    if (outcome.status === 'error') logger.warn('console request failed', { type, code: outcome.error.code });
  };

  return (
    <>
      <PageHeader title="Request console">Send any request to the backend and watch it travel through the gateway to a worker and back.</PageHeader>
      <div className="grid-2">
        <form
          className="card"
          onSubmit={(event) => {
            event.preventDefault();
            void send();
          }}
        >
          <label className="field">
            <span>Request type</span>
            <select value={type} onChange={(e) => pick(e.target.value)} data-testid="console-type">
              {types.map((t) => (
                <option key={t.type} value={t.type}>
                  {t.type}
                </option>
              ))}
            </select>
          </label>
          {info && (
            <p className="hint">
              {withCode(info.description)} <span className="tag">{info.worker} worker</span>
              {info.instances !== undefined && <span className="tag">{info.instances === 0 ? 'not running' : `${info.instances} live`}</span>}
              {info.conflict && <span className="tag">schema conflict</span>}
            </p>
          )}
          <label className="field">
            <span>Payload (JSON)</span>
            <textarea
              className="code-input"
              rows={7}
              spellCheck={false}
              value={payloadText}
              onChange={(e) => setPayloadText(e.target.value)}
              aria-invalid={!parsed.ok}
              data-testid="console-payload"
            />
          </label>
          {!parsed.ok && <p className="field-error">Not valid JSON: {parsed.message}</p>}
          <label className="field field-inline">
            <span>Timeout (ms)</span>
            <input inputMode="numeric" value={timeoutText} onChange={(e) => setTimeoutText(e.target.value)} aria-invalid={!timeoutOk} />
          </label>
          <div className="actions">
            <button type="submit" className="btn btn-primary" disabled={!parsed.ok || !timeoutOk}>
              {running ? 'Send again' : 'Send'}
            </button>
            <button type="button" className="btn" onClick={request.cancel} disabled={!running}>
              Cancel
            </button>
          </div>
        </form>

        <div className="card card-output" data-testid="console-output">
          <div className="card-head">
            <h2>Response</h2>
            <StatusBadge status={request.status} />
          </div>
          {request.status === 'idle' && <p className="empty">Nothing sent yet. Chunks and the result will appear here as they arrive.</p>}
          {request.progress !== undefined && <ProgressBar value={request.progress} label="Progress" />}
          {request.chunks.length > 0 && (
            <>
              <h3>
                Chunks <span className="count">{request.chunks.length}</span>
                {request.attempt > 1 && <span className="tag">attempt {request.attempt}</span>}
              </h3>
              <ol className="chunk-log" data-testid="console-chunks">
                {request.chunks.map((chunk, index) => (
                  <li key={index}>
                    <code>{JSON.stringify(chunk)}</code>
                  </li>
                ))}
              </ol>
            </>
          )}
          {request.status === 'success' && (
            <>
              <h3>Result</h3>
              <pre className="code-block" data-testid="console-result">
                {pretty(request.data)}
              </pre>
            </>
          )}
          {request.error && <ErrorNotice error={request.error} />}
          {elapsedMs !== null && sentAt !== null && !running && <p className="meta">Finished in {elapsedMs} ms</p>}
        </div>
      </div>
    </>
  );
};
