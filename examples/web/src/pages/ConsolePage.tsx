// Console: pick a request type, edit its JSON payload, send it, and watch
// chunks and the result (or the error) arrive live, with the hops the call
// took. Types come from the live service registry too (re-read every few
// seconds), with a payload pre-filled from their schema.
import type { Catalogue } from '@warren/client';
import { useBackend, useBackendRequest } from '@warren/react';
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { backend } from '../backend.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { HopTimeline } from '../components/HopTimeline.tsx';
import { useCall } from '../lib/use-call.ts';
import { ProgressBar } from '../components/ProgressBar.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { REQUEST_TYPES } from '../request-types.ts';
import { consoleTypes } from './ConsoleTypes.ts';
import { PageHeader } from './PageHeader.tsx';

const pretty = (value: unknown) => JSON.stringify(value, null, 2);
const REGISTRY_REFRESH_MS = 3_000;
const DOCS_URL = 'docs/';

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
    const load = () =>
      backend.services().then(
        (catalogue) => mounted && setLive(catalogue),
        () => undefined,
      ); // the static list still works
    void load();
    // Workers come and go: the tags below follow them without a reload.
    const timer = setInterval(() => void load(), REGISTRY_REFRESH_MS);
    return () => {
      mounted = false;
      clearInterval(timer);
    };
  }, []);
  const types = consoleTypes(REQUEST_TYPES, live);
  const request = useBackendRequest(type, { maxChunks: 500 });
  const parsed = parsePayload(payloadText);
  const timeoutMs = Number(timeoutText);
  const timeoutOk = timeoutText.trim() !== '' && Number.isInteger(timeoutMs) && timeoutMs >= 1 && timeoutMs <= 86_400_000;
  const running = request.status === 'pending' || request.status === 'streaming';
  const info = types.find((t) => t.type === type);
  const call = useCall(running);
  const [attempted, setAttempted] = useState(false);
  const payloadRef = useRef<HTMLTextAreaElement>(null);
  const timeoutRef = useRef<HTMLInputElement>(null);
  const outputRef = useRef<HTMLDivElement>(null);
  const chunksRef = useRef<HTMLOListElement>(null);

  // The chunk list follows the newest chunk unless the reader scrolled up.
  const followChunks = useRef(true);
  useLayoutEffect(() => {
    const list = chunksRef.current;
    if (list && followChunks.current) list.scrollTop = list.scrollHeight;
  }, [request.chunks.length]);

  const pick = (next: string) => {
    setType(next);
    const example = types.find((t) => t.type === next);
    if (example) setPayloadText(pretty(example.payload));
  };

  const send = async () => {
    setAttempted(true);
    // Send stays enabled: pressing it with a bad field says why, at the field.
    if (!parsed.ok) return payloadRef.current?.focus();
    if (!timeoutOk) return timeoutRef.current?.focus();
    followChunks.current = true;
    // On a phone the response is below the form: bring it into view.
    if (window.matchMedia('(max-width: 720px)').matches) {
      const reduce = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
      outputRef.current?.scrollIntoView({ block: 'start', behavior: reduce ? 'auto' : 'smooth' });
    }
    call.begin();
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
      <PageHeader title="Request console">Send any request to the backend and watch it travel through the gateway to a worker and back, hop by hop.</PageHeader>
      <section className="intro" aria-labelledby="intro-title">
        <h2 id="intro-title">What is Warren?</h2>
        <p>
          Warren lets a web page call backend work as if it were a function. Your request travels from the browser to a gateway, through the RabbitMQ message
          broker, to a worker written in TypeScript or Python, and the answer streams back piece by piece. Try it below, then see the chat, a long task you can
          cancel, and what errors look like. <a href={DOCS_URL}>Read the documentation</a>.
        </p>
      </section>
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
              aria-describedby={parsed.ok ? undefined : 'payload-error'}
              ref={payloadRef}
              data-testid="console-payload"
            />
          </label>
          {!parsed.ok && (
            <p className="field-error" id="payload-error" data-testid="payload-error">
              This is not valid JSON: {parsed.message}
            </p>
          )}
          <label className="field field-inline">
            <span>Timeout (ms)</span>
            <input
              inputMode="numeric"
              value={timeoutText}
              onChange={(e) => setTimeoutText(e.target.value)}
              aria-invalid={!timeoutOk}
              aria-describedby={timeoutOk ? 'timeout-hint' : 'timeout-error'}
              ref={timeoutRef}
              data-testid="console-timeout"
            />
          </label>
          {timeoutOk ? (
            <p className="field-hint" id="timeout-hint">
              How long to wait before giving up, in milliseconds.
            </p>
          ) : (
            <p className="field-error" id="timeout-error" role={attempted ? 'alert' : undefined} data-testid="timeout-error">
              Enter a whole number of milliseconds from 1 to 86400000 (one day), for example 30000.
            </p>
          )}
          <div className="actions">
            <button type="submit" className="btn btn-primary" data-testid="console-send">
              {running ? 'Send again' : 'Send'}
            </button>
            {/* aria-disabled, not disabled: a disabled button drops keyboard focus to the page. */}
            <button type="button" className="btn" onClick={() => running && request.cancel()} aria-disabled={!running} data-testid="console-cancel">
              Cancel
            </button>
          </div>
        </form>

        <div className="card card-output" data-testid="console-output" ref={outputRef} tabIndex={-1} aria-label="Response">
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
              <ol
                className="chunk-log"
                data-testid="console-chunks"
                ref={chunksRef}
                tabIndex={0}
                aria-label="Chunks received"
                onScroll={(e) => {
                  const l = e.currentTarget;
                  followChunks.current = l.scrollHeight - l.scrollTop - l.clientHeight < 30;
                }}
              >
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
          {request.error && (
            <ErrorNotice
              error={request.error}
              requestId={call.id}
              traceId={call.trace?.traceId}
              onRetry={running || request.error.code === 'CANCELLED' ? undefined : () => void send()}
            />
          )}
          {elapsedMs !== null && sentAt !== null && !running && <p className="meta">Finished in {elapsedMs} ms</p>}
          {call.trace && request.status !== 'idle' && <HopTimeline trace={call.trace} />}
        </div>
      </div>
    </>
  );
};
