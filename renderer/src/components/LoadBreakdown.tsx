import type { LoadProgress } from '../../../protocol/index.ts';
import { fmtMs } from '../model/format.ts';
import { connectionLabel, loadBreakdown, type LoadErrorRow } from '../model/load-errors.ts';
import type { RequestMatch } from '../model/request-match.ts';
import { useStore } from '../store/store.ts';

/**
 * A load run's errors and non-2xx responses, kind by kind, each saying what it means and linking
 * to where those requests can be seen in the event log (the engine's side of them).
 */
export function LoadBreakdown({ progress }: { progress: LoadProgress }) {
  const setLogFilter = useStore((s) => s.setLogFilter);
  const showLeakView = useStore((s) => s.showLeakView);
  const { rows } = loadBreakdown(progress);
  if (rows.length === 0) return null;
  const show = (requests: RequestMatch): void => {
    setLogFilter({ requests, instanceId: null, requestId: null });
    showLeakView({ tab: 'events' });
    document.getElementById('tabpanel-events')?.scrollIntoView({ block: 'nearest' });
  };
  return (
    <ul className="load-breakdown" data-testid="load-breakdown" aria-label="Errors and non-2xx responses by kind">
      {rows.map((row) => (
        <li key={rowKey(row)} data-testid="load-breakdown-row" data-kind={row.kind} data-count={row.count}>
          <Row row={row} show={show} />
        </li>
      ))}
    </ul>
  );
}

function rowKey(row: LoadErrorRow): string {
  switch (row.kind) {
    case 'timeout':
    case 'unclassified':
      return row.kind;
    case 'connection':
      return `connection-${row.code}`;
    case 'status':
      return `status-${row.status}`;
  }
}

function Row({ row, show }: { row: LoadErrorRow; show: (match: RequestMatch) => void }) {
  switch (row.kind) {
    case 'timeout':
      return (
        <>
          <span className="err">client timeouts</span> <b className="mono">{row.count}</b>
          <button
            type="button"
            className="link"
            data-testid="load-show-timeouts"
            onClick={() => show({ kind: 'failure', failure: 'client-gone' })}
          >
            show client-gone requests in the log
          </button>
          <span className="why">
            The client gave up{row.timeoutMs !== null ? ` after ${fmtMs(row.timeoutMs)}` : ''} without a response; the
            engine sees each as its client leaving (a <code>client-gone</code> failure, also in Failed requests).
          </span>
        </>
      );
    case 'connection':
      return (
        <>
          <span className="err">connection {connectionLabel(row.code)}</span> <b className="mono">{row.count}</b>
          <span className="why">
            <span className="mono">{row.code}</span>: the connection failed and its request got no response. A refused
            connection never reached the engine, so no event shows it.
          </span>
        </>
      );
    case 'unclassified':
      return (
        <>
          <span className="err">errors</span> <b className="mono">{row.count}</b>
          <span className="why">
            Not broken down: recorded before the load generator told timeouts and connection errors apart.
          </span>
        </>
      );
    case 'status':
      return (
        <>
          <span className={`status-${String(row.status)[0]}xx mono`}>{row.status}</span>{' '}
          <b className="mono">×{row.count}</b>
          <button
            type="button"
            className="link"
            data-testid="load-show-status"
            data-status={row.status}
            aria-label={`Show the requests answered ${row.status} in the event log`}
            onClick={() => show({ kind: 'status', status: row.status })}
          >
            show in the log
          </button>
          <span className="why">
            Responses, not load errors.
            {row.status === 500 || row.status === 503
              ? ' The front door also answers a request the pool failed (timeout, trap…) this way.'
              : ''}
          </span>
        </>
      );
  }
}
