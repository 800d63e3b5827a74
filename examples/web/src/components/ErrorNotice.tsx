// A failed request, readable: what happened in plain words and what to do,
// a Retry when trying again can help, and the technical facts (code, request
// id, trace id, the server's message) folded into a details section that
// copies as one block for a bug report.
import type { WarrenError } from '@warren/client';
import { useState } from 'react';
import { errorText } from '../error-text.ts';

export interface ErrorNoticeProps {
  /** A WarrenError, or what a page saved of one (the chat keeps its conversation as JSON). */
  error: Pick<WarrenError, 'code' | 'message'>;
  requestId?: string | undefined;
  traceId?: string | undefined;
  /** Shown as a Retry button when set. */
  onRetry?: (() => void) | undefined;
  retryLabel?: string;
}

/** Failures where sending the same thing again can work; the rest need a change first. */
const NOT_RETRYABLE = new Set(['INVALID_PAYLOAD', 'INVALID_REQUEST', 'PAYLOAD_TOO_LARGE', 'UNAUTHORIZED', 'FORBIDDEN', 'CANCELLED']);

const detailsText = ({ error, requestId, traceId }: ErrorNoticeProps) =>
  [`code: ${error.code}`, `request id: ${requestId ?? 'unknown'}`, `trace id: ${traceId ?? 'unknown'}`, `message: ${error.message}`].join('\n');

export const ErrorNotice = (props: ErrorNoticeProps) => {
  const { error, requestId, traceId, onRetry, retryLabel = 'Retry' } = props;
  const { title, hint } = errorText(error.code);
  const [copied, setCopied] = useState(false);
  const tone = error.code === 'CANCELLED' ? 'notice notice-muted' : 'notice notice-error';
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(detailsText(props));
      setCopied(true);
    } catch {
      setCopied(false); // no clipboard (insecure origin): the text stays selectable
    }
  };
  return (
    <div className={tone} role={error.code === 'CANCELLED' ? 'status' : 'alert'} data-testid="error-notice">
      <div className="notice-head">
        <strong>{title}</strong>
        <code className="code-badge" data-testid="error-code">
          {error.code}
        </code>
      </div>
      <p>{hint}</p>
      {onRetry && !NOT_RETRYABLE.has(error.code) && (
        <div className="actions notice-actions">
          <button type="button" className="btn btn-small" onClick={onRetry}>
            {retryLabel}
          </button>
        </div>
      )}
      <details className="notice-details" data-testid="error-details">
        <summary>Details for a bug report</summary>
        <dl>
          <dt>Code</dt>
          <dd>
            <code>{error.code}</code>
          </dd>
          <dt>Request id</dt>
          <dd>
            <code data-testid="error-request-id">{requestId ?? 'unknown'}</code>
          </dd>
          <dt>Trace id</dt>
          <dd>
            <code data-testid="error-trace-id">{traceId ?? 'unknown'}</code>
          </dd>
          <dt>Message</dt>
          <dd className="notice-detail" data-testid="error-message">
            {error.message}
          </dd>
        </dl>
        <button type="button" className="btn btn-small" onClick={() => void copy()}>
          {copied ? 'Copied' : 'Copy details'}
        </button>
      </details>
    </div>
  );
};
