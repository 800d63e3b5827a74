// A failed request, readable: what happened in words, the stable code, and
// the server's own message.
import type { WarrenError } from '@warren/client';
import { errorText } from '../error-text.ts';

export const ErrorNotice = ({ error }: { error: WarrenError }) => {
  const { title, hint } = errorText(error.code);
  const tone = error.code === 'CANCELLED' ? 'notice notice-muted' : 'notice notice-error';
  return (
    <div className={tone} role="alert" data-testid="error-notice">
      <div className="notice-head">
        <strong>{title}</strong>
        <code className="code-badge" data-testid="error-code">
          {error.code}
        </code>
      </div>
      <p>{hint}</p>
      <p className="notice-detail">{error.message}</p>
    </div>
  );
};
