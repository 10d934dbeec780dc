import { disconnectedBanner } from '../model/connection.ts';
import { useStore } from '../store/store.ts';

/**
 * Shown while the link to the engine is down: what happened, that it is reconnecting (with a
 * Retry that does not wait for the backoff), and that the controls are off until it is back.
 */
export function ConnectionBanner() {
  const connection = useStore((s) => s.connection);
  const retry = useStore((s) => s.retryConnection);
  const banner = disconnectedBanner(connection);
  if (!banner) return null;
  return (
    <div
      className="connection-banner"
      data-testid="connection-banner"
      data-state={connection.status}
      data-attempts={connection.attempts}
    >
      <span className="connection-banner-text">
        {/* Announced once; the attempt count below changes every retry and is not re-announced. */}
        <b role="alert">{banner.title}</b> <span>{banner.detail}</span>
      </span>
      {banner.canRetry && (
        <button type="button" className="btn btn-small" onClick={retry} data-testid="connection-retry">
          Retry now
        </button>
      )}
    </div>
  );
}
