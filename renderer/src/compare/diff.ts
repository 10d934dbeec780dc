/**
 * Two runs side by side, as table rows: the knobs each ran with (a change reads `Max reuse: 1 → 128`)
 * and their summaries, with B's difference from A and its ratio to A.
 */
import { failureKindSchema, type PoolKnobs } from '../../../protocol/index.ts';
import { fmtMs } from '../model/format.ts';
import { formatKnob, KNOB_FIELDS } from '../model/knob-form.ts';
import type { RunSummary } from './profile.ts';

export interface KnobRow {
  key: keyof PoolKnobs;
  label: string;
  /** As the knobs form writes them; `—` when that run's file carries no knobs. */
  a: string;
  b: string;
  changed: boolean;
}

const knobText = (field: (typeof KNOB_FIELDS)[number], knobs: PoolKnobs | null): string => {
  if (!knobs) return '—';
  const value = knobs[field.key];
  return value === null ? 'none' : formatKnob(field, value);
};

/** Every knob, A's and B's; `changed` where both are known and differ. */
export function knobRows(a: PoolKnobs | null, b: PoolKnobs | null): KnobRow[] {
  return KNOB_FIELDS.map((field) => ({
    key: field.key,
    label: field.label,
    a: knobText(field, a),
    b: knobText(field, b),
    changed: a !== null && b !== null && a[field.key] !== b[field.key],
  }));
}

/** `Max reuse: 1 → 128`, one per changed knob. */
export function knobChanges(rows: readonly KnobRow[]): string[] {
  return rows.filter((r) => r.changed).map((r) => `${r.label}: ${r.a} → ${r.b}`);
}

export interface MetricRow {
  key: string;
  label: string;
  a: number | null;
  b: number | null;
  aText: string;
  bText: string;
  /** B − A, signed (`+7`, `−3`, `0`); `—` when either is unknown. */
  delta: string;
  /** B ÷ A (`×8.00`); `—` when A is 0 or either is unknown. */
  ratio: string;
}

type Unit = 'count' | 'rate' | 'ms' | 's' | 'mean';

function format(v: number | null, unit: Unit): string {
  if (v === null) return '—';
  switch (unit) {
    case 'count':
      return String(v);
    case 'rate':
      return `${v >= 100 ? Math.round(v) : v.toFixed(1)}/s`;
    case 'ms':
      return fmtMs(v);
    case 's':
      return `${v.toFixed(1)} s`;
    case 'mean':
      return v.toFixed(1);
  }
}

function row(key: string, label: string, a: number | null, b: number | null, unit: Unit): MetricRow {
  const known = a !== null && b !== null;
  const d = known ? b - a : null;
  let delta = '—';
  if (d !== null) {
    const size = format(Math.abs(d), unit);
    delta = d > 0 ? `+${size}` : d < 0 ? `−${size}` : '0';
  }
  return {
    key,
    label,
    a,
    b,
    aText: format(a, unit),
    bText: format(b, unit),
    delta,
    ratio: known && a !== 0 ? `×${(b / a).toFixed(2)}` : '—',
  };
}

/** The summary table: totals and means, failures by kind where either run had any. */
export function summaryRows(a: RunSummary, b: RunSummary): MetricRow[] {
  const rows = [
    row('duration', 'Duration', a.durationSec, b.durationSec, 's'),
    row('received', 'Requests received', a.received, b.received, 'count'),
    row('completed', 'Requests completed', a.completed, b.completed, 'count'),
    row('meanRps', 'Mean completed req/s', a.meanRps, b.meanRps, 'rate'),
    row('p50', 'Latency p50 (whole request)', a.p50, b.p50, 'ms'),
    row('p99', 'Latency p99 (whole request)', a.p99, b.p99, 'ms'),
    row('failed', 'Requests failed', a.failed, b.failed, 'count'),
  ];
  for (const kind of failureKindSchema.options) {
    const fa = a.failedByKind[kind] ?? 0;
    const fb = b.failedByKind[kind] ?? 0;
    if (fa + fb > 0) rows.push(row(`failed-${kind}`, `  failed: ${kind}`, fa, fb, 'count'));
  }
  rows.push(
    row('peakLive', 'Peak live instances', a.peakLive, b.peakLive, 'count'),
    row('started', 'Instances started', a.started, b.started, 'count'),
    row('servedPerExit', 'Requests per ended instance', a.servedPerExit, b.servedPerExit, 'mean'),
    row('leakChecked', 'Leak replays compared', a.leakChecked, b.leakChecked, 'count'),
    row('leakFindings', 'Leak findings', a.leakFindings, b.leakFindings, 'count'),
  );
  return rows;
}
