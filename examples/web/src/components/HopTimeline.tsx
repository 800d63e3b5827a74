// The hops of one call as the gateway recorded them: accepted, published to
// RabbitMQ, picked up by a worker (which one, in which language, which
// attempt), first chunk, result; each with its time since acceptance.
import type { CallTrace, Hop } from '../lib/call-trace.ts';

const LANGUAGE: Record<string, string> = { typescript: 'Node', python: 'Python' };

const label = (hop: Hop): string => {
  switch (hop.hop) {
    case 'accepted':
      return 'Accepted by the gateway';
    case 'published':
      return 'Published to RabbitMQ';
    case 'picked-up': {
      const who = hop.worker ? `${LANGUAGE[hop.worker.language] ?? hop.worker.language} worker ${hop.worker.instance}` : 'a worker';
      return `Picked up by ${who}${hop.attempt && hop.attempt > 1 ? ` (attempt ${hop.attempt})` : ''}`;
    }
    case 'first-chunk':
      return 'First chunk back';
    case 'result':
      return 'Result back';
    case 'error':
      return `Answered with ${hop.outcome ?? 'an error'}`;
    case 'cancel-sent':
      return 'Cancel sent to the worker';
  }
};

export const HopTimeline = ({ trace }: { trace: CallTrace }) => {
  const start = trace.hops[0]?.at ?? 0;
  return (
    <div className="hops">
      <h3>
        Hops{' '}
        <span className="trace-id" title="W3C trace id: search your logs for it">
          trace {trace.traceId}
        </span>
      </h3>
      <ol className="hop-list" data-testid="hop-timeline">
        {trace.hops.map((hop, i) => (
          <li key={`${hop.hop}-${hop.attempt ?? 0}-${i}`} data-hop={hop.hop}>
            <span className="hop-time">+{Math.max(0, hop.at - start)} ms</span>
            <span>{label(hop)}</span>
          </li>
        ))}
      </ol>
    </div>
  );
};
