// The state of a request as a small coloured label.
import type { RequestStatus } from '@warren/react';

const LABEL: Record<RequestStatus, string> = {
  idle: 'Ready',
  pending: 'Waiting…',
  queued: 'In the queue',
  streaming: 'Streaming',
  success: 'Done',
  error: 'Failed',
  cancelled: 'Cancelled',
};

export const StatusBadge = ({ status }: { status: RequestStatus }) => (
  <span className={`badge badge-${status}`} data-testid="status">
    {LABEL[status]}
  </span>
);
