// Connection indicator in the header, and a banner while the connection is
// down. The banner waits a moment before showing, so the first connect and
// a blip do not flash it; it disappears by itself once the client is back.
import { useBackend, useConnection, type Connection } from '@warren/react';
import { useEffect, useRef, useState } from 'react';

const SHOW_AFTER_MS = 400;

const PILL: Record<Connection, string> = { connected: 'Connected', reconnecting: 'Connecting…', offline: 'Offline' };

export const ConnectionPill = () => {
  const connection = useConnection();
  return (
    <span className={`pill pill-${connection}`} data-testid="connection">
      <span className="pill-dot" aria-hidden="true" />
      {PILL[connection]}
    </span>
  );
};

export const ConnectionBanner = () => {
  const connection = useConnection();
  const { logger } = useBackend();
  const [visible, setVisible] = useState(false);
  const lostAt = useRef<number | null>(null);

  useEffect(() => {
    if (connection === 'connected') {
      if (lostAt.current !== null) logger.info('connection restored', { downMs: Date.now() - lostAt.current });
      lostAt.current = null;
      setVisible(false);
      return;
    }
    const timer = setTimeout(() => {
      if (lostAt.current === null) {
        lostAt.current = Date.now();
        // Buffered by the client logger while offline, shipped on reconnect.
        logger.warn('connection lost', { state: connection });
      }
      setVisible(true);
    }, SHOW_AFTER_MS);
    return () => clearTimeout(timer);
  }, [connection, logger]);

  if (!visible || connection === 'connected') return null;
  return (
    <div className="banner-wrap">
      <div className={`banner banner-${connection}`} role="status" data-testid="connection-banner">
        {connection === 'offline' ? (
          <span>
            <strong>You are offline.</strong> The server closed the connection. Reload the page to try again.
          </span>
        ) : (
          <>
            <span className="spinner" aria-hidden="true" />
            <span>
              <strong>Connection lost.</strong> Reconnecting… Your requests will continue once it is back.
            </span>
          </>
        )}
      </div>
    </div>
  );
};
