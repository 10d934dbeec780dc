/**
 * Two runs' series on one time axis (seconds since each recording's start): one row per second of
 * the longer run, with A's and B's value of one measure (null where a run has ended).
 */
import { type FailureKind, failureKindSchema } from '../../../protocol/index.ts';
import type { ProfilePoint, RunProfile } from './profile.ts';

/** What a compare chart can plot: a number per second (failures by kind are `failed` with a kind). */
export type Measure = Exclude<keyof ProfilePoint, 'x' | 'failedByKind'>;

export interface OverlayRow {
  x: number;
  a: number | null;
  b: number | null;
}

/**
 * `steps`: the measure is a level held through each second (drawn as steps), so each run gets one
 * more row, at the end of its last second, holding its last value: the step of that second is drawn
 * rather than ending in a bare riser. `kind`: for `failed`, only failures of that kind.
 */
export function overlay(
  a: RunProfile | null,
  b: RunProfile | null,
  measure: Measure,
  steps = false,
  kind: FailureKind | null = null,
): OverlayRow[] {
  const extra = steps ? 1 : 0;
  const at = (run: RunProfile | null, x: number): number | null => {
    if (!run) return null;
    const point = run.points[x] ?? (steps && x === run.points.length ? run.points[x - 1] : undefined);
    if (!point) return null;
    return measure === 'failed' && kind !== null ? (point.failedByKind[kind] ?? 0) : point[measure];
  };
  const length = Math.max(a?.points.length ?? 0, b?.points.length ?? 0) + extra;
  const rows: OverlayRow[] = [];
  for (let x = 0; x < length; x++) rows.push({ x, a: at(a, x), b: at(b, x) });
  return rows;
}

/** The failure kinds either run had, in the protocol's order: what the failures chart can single out. */
export function failureKindsOf(a: RunProfile | null, b: RunProfile | null): FailureKind[] {
  return failureKindSchema.options.filter(
    (k) => (a?.summary.failedByKind[k] ?? 0) + (b?.summary.failedByKind[k] ?? 0) > 0,
  );
}

/** The charts of the Compare view: what each plots, and its unit (the y axis says it). */
export const COMPARE_CHARTS: ReadonlyArray<{ measure: Measure; title: string; unit: string; step?: boolean }> = [
  { measure: 'ok', title: 'Requests completed per second', unit: 'req/s' },
  { measure: 'p50', title: 'Latency p50 (whole request)', unit: 'ms' },
  { measure: 'p99', title: 'Latency p99 (whole request)', unit: 'ms' },
  { measure: 'live', title: 'Live instances', unit: 'instances', step: true },
  { measure: 'started', title: 'Instances started (cumulative)', unit: 'instances', step: true },
  { measure: 'failed', title: 'Failed requests per second', unit: 'req/s' },
  { measure: 'findings', title: 'Leak findings (cumulative)', unit: 'findings', step: true },
];
