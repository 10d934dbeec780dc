/**
 * The instance table (Erlang Observer style): one compact row per instance, sortable by any column.
 * Pure: rows are built from the instances and leak slices, sorted here, drawn by InstanceTable.
 */
import type { PoolKnobs } from '../../../protocol/index.ts';
import { stateAge } from './instance-state.ts';
import type { InstanceRecord } from './types.ts';

export const INSTANCE_COLUMNS = [
  'id',
  'state',
  'reuse',
  'inFlight',
  'ok',
  'failed',
  'memory',
  'age',
  'executor',
  'leaks',
] as const;
export type InstanceColumn = (typeof INSTANCE_COLUMNS)[number];

export type SortDirection = 'ascending' | 'descending';
export interface InstanceSort {
  column: InstanceColumn;
  direction: SortDirection;
}

export const DEFAULT_INSTANCE_SORT: InstanceSort = { column: 'id', direction: 'ascending' };

/** Where a row's state sorts: the order an instance lives through, retired last. */
export type RowState = 'Starting' | 'Idle' | 'Requests' | 'PostReturn' | 'draining' | 'retired';
const STATE_RANK: Record<RowState, number> = {
  Starting: 0,
  Idle: 1,
  Requests: 2,
  PostReturn: 3,
  draining: 4,
  retired: 5,
};

export interface InstanceRow {
  instanceId: number;
  retired: boolean;
  state: RowState;
  /** "available", why not ("busy", "starting", the engine's reason), or how it exited. */
  detail: string;
  reuse: number;
  inFlight: number;
  ok: number;
  failed: number;
  memoryBytes: number | null;
  /** Time alive so far (live) or its whole life (retired), ms. */
  ageMs: number;
  /** Time in its current state (live; null when unknown or retired), and why that is too long, if it is. */
  stateMs: number | null;
  overdue: string | null;
  executor: number | null;
  leaks: number;
  /** Reused answers the leak detector checked on it. */
  leakChecked: number;
}

export interface LeakCounts {
  byInstance: ReadonlyMap<number, number>;
  checkedByInstance: ReadonlyMap<number, number>;
}

function rowOf(r: InstanceRecord, leaks: LeakCounts, now: number, knobs: PoolKnobs | null): InstanceRow {
  const retired = r.exit !== null;
  const age = retired ? null : stateAge(r, now, knobs);
  const state: RowState = retired ? 'retired' : r.draining ? 'draining' : r.status;
  const detail = r.exit
    ? r.exit.cause
    : r.available
      ? 'available'
      : (r.unavailableWhy ?? (r.status === 'Starting' ? 'starting' : 'busy'));
  return {
    instanceId: r.instanceId,
    retired,
    state,
    detail,
    reuse: r.reuseCount,
    inFlight: retired ? 0 : r.inFlight,
    ok: r.ok,
    failed: r.failed,
    memoryBytes: r.memoryBytes,
    ageMs: Math.max(0, r.exit ? r.exit.lifetimeMs : now - r.createdAt),
    stateMs: age?.ms ?? null,
    overdue: age?.overdue ?? null,
    executor: r.executor,
    leaks: leaks.byInstance.get(r.instanceId) ?? 0,
    leakChecked: leaks.checkedByInstance.get(r.instanceId) ?? 0,
  };
}

/** Live instances, then (if given) retired ones; an id seen in both counts as live. */
export function instanceRows(
  live: Iterable<InstanceRecord>,
  retired: readonly InstanceRecord[] | null,
  leaks: LeakCounts,
  now: number,
  /** The knobs in force: they bound how long a state may last (model/instance-state.ts). */
  knobs: PoolKnobs | null,
): InstanceRow[] {
  const rows: InstanceRow[] = [];
  const seen = new Set<number>();
  for (const r of live) {
    seen.add(r.instanceId);
    rows.push(rowOf(r, leaks, now, knobs));
  }
  for (const r of retired ?? []) if (!seen.has(r.instanceId)) rows.push(rowOf(r, leaks, now, knobs));
  return rows;
}

/** The value a column sorts by; null (unknown) sorts after every value, in both directions. */
function keyOf(row: InstanceRow, column: InstanceColumn): number | null {
  switch (column) {
    case 'id':
      return row.instanceId;
    case 'state':
      return STATE_RANK[row.state];
    case 'reuse':
      return row.reuse;
    case 'inFlight':
      return row.inFlight;
    case 'ok':
      return row.ok;
    case 'failed':
      return row.failed;
    case 'memory':
      return row.memoryBytes;
    case 'age':
      return row.ageMs;
    case 'executor':
      return row.executor;
    case 'leaks':
      // Findings first, then how much was checked: "0 in 7" says more than "0 in 0".
      return row.leaks * 1e9 + row.leakChecked;
  }
}

/** A sorted copy; ties keep instance id order (ascending), so the order never flickers. */
export function sortRows(rows: readonly InstanceRow[], sort: InstanceSort): InstanceRow[] {
  const sign = sort.direction === 'ascending' ? 1 : -1;
  return rows.slice().sort((a, b) => {
    const ka = keyOf(a, sort.column);
    const kb = keyOf(b, sort.column);
    if (ka !== kb) {
      if (ka === null) return 1;
      if (kb === null) return -1;
      return (ka - kb) * sign;
    }
    return a.instanceId - b.instanceId;
  });
}

/**
 * The sort after a click on `column`'s header: the same column flips its direction; another
 * starts with its most telling end (counts and sizes largest first, id and state in order).
 */
export function nextSort(current: InstanceSort, column: InstanceColumn): InstanceSort {
  if (current.column === column)
    return { column, direction: current.direction === 'ascending' ? 'descending' : 'ascending' };
  return { column, direction: column === 'id' || column === 'state' ? 'ascending' : 'descending' };
}
