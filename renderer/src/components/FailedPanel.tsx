import { FAILURE_KIND_LABELS as KIND_LABEL } from '../../../protocol/index.ts';
import { entriesOf } from '../model/entries.ts';
import { fmtMs } from '../model/format.ts';
import { useStore } from '../store/store.ts';
import { Panel } from './Panel.tsx';

const SHOWN = 200;

/** Failed requests: counts by kind, and the most recent ones with their reason; each opens its story. */
export function FailedPanel() {
  const failed = useStore((s) => s.requests.failed);
  const total = useStore((s) => s.requests.failedTotal);
  const byKind = useStore((s) => s.requests.failedByKind);
  const setUi = useStore((s) => s.setUi);
  return (
    <Panel
      title="Failed requests"
      meta={
        <span data-testid="failed-count" className={total ? 'err' : ''}>
          {total}
        </span>
      }
      testId="failed-panel"
      className="failed-panel"
    >
      {total === 0 ? (
        <p className="empty">No failed requests.</p>
      ) : (
        <>
          <div className="kind-chips">
            {entriesOf(byKind).map(([kind, n]) => (
              <span key={kind} className={`chip chip-fail-${kind}`} data-testid="failed-kind" data-kind={kind}>
                {KIND_LABEL[kind]} <b>{n}</b>
              </span>
            ))}
          </div>
          <ul className="failed-list">
            {failed.slice(0, SHOWN).map((r) => (
              <li
                key={r.requestId}
                className="failed-row"
                data-testid="request-failed"
                data-request-id={r.requestId}
                data-kind={r.failure?.kind}
                data-instance-id={r.instanceId ?? ''}
                title={r.failure?.message}
              >
                <button
                  type="button"
                  className="link mono"
                  onClick={() => setUi({ selectedRequest: r.requestId })}
                  title="Open its story"
                  data-testid="failed-open-request"
                >
                  #{r.requestId}
                </button>
                <span className={`chip chip-fail-${r.failure?.kind}`}>
                  {r.failure ? KIND_LABEL[r.failure.kind] : '?'}
                </span>
                <span className="mono ellipsis">
                  {r.method} {r.uri}
                </span>
                <span className="dim mono">{r.instanceId !== null ? `inst ${r.instanceId}` : 'no instance'}</span>
                <span className="dim mono">{r.latencyMs !== null ? fmtMs(r.latencyMs) : ''}</span>
                <span className="failed-msg ellipsis">{r.failure?.message}</span>
              </li>
            ))}
          </ul>
        </>
      )}
    </Panel>
  );
}
