import { memo, type CSSProperties, type KeyboardEvent } from 'react';
import { badgeText } from '../model/leaks.ts';
import { fmtAge, fmtBytes } from '../model/format.ts';
import type { InstanceColumn, InstanceRow, InstanceSort } from '../model/instance-table.ts';

const COLUMNS: ReadonlyArray<{ column: InstanceColumn; label: string; title: string; numeric: boolean }> = [
  { column: 'id', label: 'Instance', title: 'Instance id (select to filter the event log by it)', numeric: false },
  {
    column: 'state',
    label: 'State',
    title: 'Status, time in it, and whether it takes new requests (or how it exited)',
    numeric: false,
  },
  { column: 'reuse', label: 'Reuse', title: 'Requests accepted, of the max reuse count', numeric: true },
  {
    column: 'inFlight',
    label: 'In flight',
    title: 'Requests running on it now, of the max concurrent reuse',
    numeric: true,
  },
  { column: 'ok', label: 'OK', title: 'Requests it answered', numeric: true },
  { column: 'failed', label: 'Failed', title: 'Requests that failed on it', numeric: true },
  { column: 'memory', label: 'Memory', title: 'Linear memory now (retired: at its last report)', numeric: true },
  { column: 'age', label: 'Age', title: 'Time since it was spawned (retired: its whole life)', numeric: true },
  { column: 'executor', label: 'Exec', title: 'The executor thread hosting it', numeric: true },
  { column: 'leaks', label: 'Leaks', title: 'Leak findings, of its reused answers checked', numeric: true },
];

interface Props {
  rows: readonly InstanceRow[];
  sort: InstanceSort;
  onSort(column: InstanceColumn): void;
  maxReuse: number;
  maxConcurrent: number;
  /** The instance the event log is filtered by (its row is highlighted). */
  selectedId: number | null;
  onSelect(instanceId: number): void;
  onShowLeaks(instanceId: number): void;
}

/** Up and Down move between rows (their instance buttons), as in a list. */
function moveFocus(e: KeyboardEvent<HTMLButtonElement>): void {
  if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
  const row = e.currentTarget.closest('tr');
  const next = e.key === 'ArrowDown' ? row?.nextElementSibling : row?.previousElementSibling;
  const target = next?.querySelector<HTMLButtonElement>('button.instance-row-id');
  if (!target) return;
  e.preventDefault();
  target.focus();
}

/**
 * The compact instance table (Erlang Observer style): one ~24 px row per instance, sorted by the
 * column whose header was chosen (again: the other way). Rows are given already sorted.
 */
export const InstanceTable = memo(function InstanceTable({
  rows,
  sort,
  onSort,
  maxReuse,
  maxConcurrent,
  selectedId,
  onSelect,
  onShowLeaks,
}: Props) {
  return (
    <table
      className="instance-table"
      data-testid="instance-table"
      data-sort-column={sort.column}
      data-sort-direction={sort.direction}
    >
      <caption className="visually-hidden">
        Instances, one per row, sorted by {COLUMNS.find((c) => c.column === sort.column)?.label} ({sort.direction}).
        Choose a column header to sort by it.
      </caption>
      <thead>
        <tr>
          {COLUMNS.map(({ column, label, title, numeric }) => (
            <th
              key={column}
              scope="col"
              aria-sort={sort.column === column ? sort.direction : 'none'}
              className={numeric ? 'num' : ''}
            >
              <button
                type="button"
                className="instance-sort"
                data-testid={`instance-sort-${column}`}
                title={`${title}. Sort by it.`}
                onClick={() => onSort(column)}
              >
                {label}
                <span className="sort-mark" aria-hidden="true">
                  {sort.column === column ? (sort.direction === 'ascending' ? '▲' : '▼') : ''}
                </span>
              </button>
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr
            key={r.instanceId}
            className={`instance-row state-${r.state}${r.instanceId === selectedId ? ' selected' : ''}`}
            data-testid="instance-row"
            data-instance-id={r.instanceId}
            data-state={r.state}
            data-reuse={r.reuse}
            data-failed={r.failed}
            data-retired={r.retired}
          >
            <td>
              <button
                type="button"
                className="link mono instance-row-id"
                aria-pressed={r.instanceId === selectedId}
                title="Filter the event log by this instance (Up and Down: other rows)"
                onClick={() => onSelect(r.instanceId)}
                onKeyDown={moveFocus}
              >
                #{r.instanceId}
              </button>
            </td>
            <td
              className={r.overdue ? 'instance-state-long' : ''}
              title={r.overdue ?? undefined}
              data-overdue={r.overdue !== null}
            >
              <span className={`status status-${r.state}`}>
                <span className="status-dot" aria-hidden="true" />
                {r.state}
              </span>
              {r.stateMs !== null && <span className="mono"> {fmtAge(r.stateMs)}</span>}{' '}
              <span className="dim">{r.detail}</span>
              {r.overdue && (
                <>
                  <span aria-hidden="true"> ⚠</span>
                  <span className="visually-hidden"> (held abnormally long: {r.overdue})</span>
                </>
              )}
            </td>
            <td className="num mono">
              {r.reuse}
              {!r.retired && <span className="dim">/{maxReuse}</span>}
            </td>
            <td className="num mono">
              {r.inFlight}
              {!r.retired && <span className="dim">/{maxConcurrent}</span>}
            </td>
            <td className="num mono">{r.ok}</td>
            <td className={`num mono ${r.failed > 0 ? 'err' : ''}`}>{r.failed}</td>
            <td className="num mono">{r.memoryBytes !== null ? fmtBytes(r.memoryBytes) : '—'}</td>
            <td className="num mono">{fmtAge(r.ageMs)}</td>
            <td className="num mono">
              {r.executor !== null ? (
                <span
                  className="executor-chip"
                  // One hue per executor thread, as on the cards.
                  style={{ '--executor-hue': String((r.executor * 137) % 360) } as CSSProperties}
                >
                  E{r.executor}
                </span>
              ) : (
                '—'
              )}
            </td>
            <td className="num">
              {r.leaks > 0 ? (
                <button
                  type="button"
                  className="chip chip-leak instance-row-leaks"
                  title="Show this instance's leak findings"
                  onClick={() => onShowLeaks(r.instanceId)}
                >
                  ⚠ {badgeText(r.leaks, r.leakChecked)}
                </button>
              ) : r.leakChecked > 0 ? (
                <span className="dim">0 in {r.leakChecked} checked</span>
              ) : (
                <span className="dim">—</span>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
});
