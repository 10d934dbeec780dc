import type { PoolEventType } from '../../../protocol/index.ts';
import { EVENT_TYPES } from '../model/log.ts';
import { describeMatch } from '../model/request-match.ts';
import { useStore } from '../store/store.ts';

const GROUPS: Array<{ label: string; prefix: string }> = [
  { label: 'request', prefix: 'request.' },
  { label: 'worker', prefix: 'worker.' },
  { label: 'output', prefix: 'guest.' },
  { label: 'leaks', prefix: 'leak.' },
  { label: 'gauges', prefix: 'pool.' },
];

function idValue(text: string): number | null {
  const trimmed = text.replace(/^#/, '').trim();
  return /^\d+$/.test(trimmed) ? Number(trimmed) : null;
}

/** Kind chips (by group, and per type in a menu), instance and request id filters. */
export function LogFilterBar() {
  const filter = useStore((s) => s.ui.logFilter);
  const setLogFilter = useStore((s) => s.setLogFilter);
  const hidden = new Set(filter.hidden);

  const toggleGroup = (prefix: string): void => {
    const types = EVENT_TYPES.filter((t) => t.startsWith(prefix));
    const allHidden = types.every((t) => hidden.has(t));
    const next = new Set(hidden);
    for (const t of types) allHidden ? next.delete(t) : next.add(t);
    setLogFilter({ hidden: [...next] });
  };
  const toggleType = (type: PoolEventType): void => {
    const next = new Set(hidden);
    if (next.has(type)) next.delete(type);
    else next.add(type);
    setLogFilter({ hidden: [...next] });
  };

  return (
    <div className="log-filters" data-testid="log-filters">
      {GROUPS.map((g) => {
        const types = EVENT_TYPES.filter((t) => t.startsWith(g.prefix));
        const shown = types.filter((t) => !hidden.has(t)).length;
        return (
          <button
            key={g.prefix}
            type="button"
            className={`chip chip-toggle ${shown === types.length ? 'on' : shown ? 'some' : ''}`}
            aria-pressed={shown > 0}
            onClick={() => toggleGroup(g.prefix)}
          >
            {g.label}
          </button>
        );
      })}
      <details className="type-menu">
        <summary className="chip">types ▾</summary>
        <div className="type-menu-list">
          {EVENT_TYPES.map((t) => (
            <label key={t}>
              <input type="checkbox" checked={!hidden.has(t)} onChange={() => toggleType(t)} />{' '}
              <span className={`ev ev-${t.split('.')[0]}`}>{t}</span>
            </label>
          ))}
        </div>
      </details>
      <input
        className="input mono id-filter"
        placeholder="instance"
        aria-label="Filter by instance id"
        value={filter.instanceId ?? ''}
        onChange={(e) => setLogFilter({ instanceId: idValue(e.target.value) })}
      />
      <input
        className="input mono id-filter"
        placeholder="request"
        aria-label="Filter by request id"
        value={filter.requestId ?? ''}
        onChange={(e) => setLogFilter({ requestId: idValue(e.target.value) })}
      />
      {filter.requests && (
        <button
          type="button"
          className="chip chip-toggle on"
          data-testid="log-requests-filter"
          onClick={() => setLogFilter({ requests: null })}
          aria-label={`Showing only ${describeMatch(filter.requests)}: show every request again`}
          title="Show every request again"
        >
          only {describeMatch(filter.requests)} ✕
        </button>
      )}
      {(filter.instanceId !== null || filter.requestId !== null) && (
        <button
          type="button"
          className="btn btn-small btn-quiet"
          onClick={() => setLogFilter({ instanceId: null, requestId: null })}
        >
          ✕ ids
        </button>
      )}
    </div>
  );
}
