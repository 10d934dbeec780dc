/**
 * One run, ready to be compared with another: a recording folded into per-second series over the
 * time since its start, and a summary of the whole run. The series come from the live charts' own
 * reducer (`model/charts.ts`) and the leak totals from the leak reducer (`model/leaks.ts`), so a
 * compared run reads exactly as the live dashboard would have shown it.
 */
import type { ComponentInfo, FailureKind, Gauges, PoolEvent, PoolKnobs } from '../../../protocol/index.ts';
import { applyChartEvents, chartSeries, chartsFromSnapshot, initialCharts, percentile } from '../model/charts.ts';
import { applyLeakEvents, initialLeaks } from '../model/leaks.ts';
import { ZERO_GAUGES } from '../model/types.ts';
import type { Recording } from '../recording/format.ts';

/** Seconds of series kept per run (an hour): a longer recording's later seconds are cut (`cut`), its summary still covers all of it. */
export const MAX_PROFILE_SECONDS = 3600;
/** Request durations kept for a run's overall percentiles; past it a spread sample is kept, as the charts keep per second. */
export const MAX_PROFILE_LATENCIES = 20_000;
/** Seconds folded per pass of the charts' reducer: below its own bucket bound (300 s), so nothing is trimmed. */
const SEGMENT_SECONDS = 240;

export interface ProfilePoint {
  /** Seconds since the recording's start (0 is the second it started in). */
  x: number;
  /** Requests completed and failed in this second. */
  ok: number;
  failed: number;
  /** This second's failures, by kind (kinds with none left out). */
  failedByKind: Partial<Record<FailureKind, number>>;
  /** Whole-request duration percentiles of the requests completed in this second (ms); null for none. */
  p50: number | null;
  p99: number | null;
  /** Highest live-instance count during the second (carried from the last change). */
  live: number;
  /** Instances started since the recording's start, this second included. */
  started: number;
  /** Leak findings (answers that differed on a reused instance, or failed there) since the start. */
  findings: number;
}

export interface RunSummary {
  /** From the first to the last entry of the recording, seconds. */
  durationSec: number;
  received: number;
  completed: number;
  failed: number;
  failedByKind: Partial<Record<FailureKind, number>>;
  /** Completed requests per second over the run (its duration, at least one second). */
  meanRps: number;
  /** Whole-request duration percentiles over the run (ms). */
  p50: number | null;
  p99: number | null;
  peakLive: number;
  /** Instances started (`worker.spawned`) and ended (`worker.exit`) during the recording. */
  started: number;
  exited: number;
  /** Mean requests served per instance that ended. */
  servedPerExit: number | null;
  leakChecked: number;
  leakFindings: number;
  leakSkipped: number;
}

export interface RunProfile {
  /** What the user picked: a file name, or the live run. */
  label: string;
  component: ComponentInfo | null;
  /** The knobs in force at the end of the run (null for an event file, which carries none). */
  knobs: PoolKnobs | null;
  /** True when the knobs changed during the run (its snapshots show more than one set). */
  knobsChanged: boolean;
  points: ProfilePoint[];
  /** The series stops at `MAX_PROFILE_SECONDS`. */
  cut: boolean;
  /** The recording itself stopped early (the recorder was full). */
  truncated: boolean;
  summary: RunSummary;
}

const secondOf = (t: number): number => Math.floor(t / 1000);

function sameKnobs(a: PoolKnobs, b: PoolKnobs): boolean {
  return (Object.keys(a) as Array<keyof PoolKnobs>).every((k) => a[k] === b[k]);
}

/** Folds a (validated) recording into its profile. */
export function profileOf(recording: Recording, label: string): RunProfile {
  const startSec = secondOf(recording.startT);
  const lastSec = Math.min(secondOf(recording.endT), startSec + MAX_PROFILE_SECONDS - 1);
  const cut = secondOf(recording.endT) > lastSec;

  // ---- per-second series, one segment of the charts' reducer at a time ----
  const points: ProfilePoint[] = [];
  let segmentFirst = startSec;
  let segmentEvents: PoolEvent[] = [];
  let carry: Gauges = ZERO_GAUGES;
  /** Folds the current segment into points, then moves to the next one. */
  const flushSegment = (): void => {
    const segmentLast = Math.min(segmentFirst + SEGMENT_SECONDS - 1, lastSec);
    // The gauges in force when the segment starts are its first sample, as a snapshot's are live.
    let charts = chartsFromSnapshot(initialCharts, carry, segmentFirst * 1000, true);
    charts = applyChartEvents(charts, segmentEvents, null);
    const seconds = segmentLast - segmentFirst + 1;
    for (const [i, p] of chartSeries(charts, segmentLast * 1000, seconds).entries()) {
      const x = segmentFirst - startSec + i;
      points.push({
        x,
        ok: p.ok,
        failed: p.failed,
        failedByKind: {},
        p50: p.p50,
        p99: p.p99,
        live: p.live,
        started: 0,
        findings: 0,
      });
    }
    carry = charts.lastGauges;
    segmentFirst = segmentLast + 1;
    segmentEvents = [];
  };
  /**
   * Hands one event (or gauge sample) to the series; events before the start count in its first
   * second. Events come in time order (a rare straggler behind a segment's end is left out of the
   * series, never out of the summary).
   */
  const toSeries = (e: PoolEvent): void => {
    const sec = Math.max(startSec, secondOf(e.t));
    if (sec > lastSec) return;
    while (sec >= segmentFirst + SEGMENT_SECONDS) flushSegment();
    segmentEvents.push(sec === secondOf(e.t) ? e : { ...e, t: startSec * 1000 });
  };

  // ---- totals ----
  const startedAt = new Map<number, number>();
  const findingsAt = new Map<number, number>();
  const failedAt = new Map<number, Partial<Record<FailureKind, number>>>();
  /** The point a time falls in (events before the start count in its first second). */
  const xOf = (t: number): number => Math.max(0, secondOf(t) - startSec);
  const bump = (m: Map<number, number>, t: number, n = 1): void => {
    const x = xOf(t);
    m.set(x, (m.get(x) ?? 0) + n);
  };
  const bumpKind = (m: Map<number, Partial<Record<FailureKind, number>>>, t: number, kind: FailureKind): void => {
    const x = xOf(t);
    const counts = m.get(x) ?? {};
    counts[kind] = (counts[kind] ?? 0) + 1;
    m.set(x, counts);
  };
  const failedByKind: Partial<Record<FailureKind, number>> = {};
  const durations: number[] = [];
  let received = 0;
  let completed = 0;
  let failed = 0;
  let started = 0;
  let exited = 0;
  let served = 0;
  let peakLive = 0;
  let leaks = initialLeaks;
  let component = recording.component;
  const knobSets: PoolKnobs[] = [];

  const onGauges = (g: Gauges, t: number): void => {
    peakLive = Math.max(peakLive, g.liveInstances);
    toSeries({ type: 'pool.gauges', t, seq: -1, ...g });
  };

  for (const entry of recording.messages) {
    if (!('message' in entry)) continue; // a Clear changed the live view only; the run is all of the file
    const m = entry.message;
    if (m.kind === 'snapshot') {
      const s = m.snapshot;
      component ??= s.component;
      const last = knobSets[knobSets.length - 1];
      if (!last || !sameKnobs(last, s.knobs)) knobSets.push(s.knobs);
      onGauges(s.gauges, s.t);
      continue;
    }
    if (m.kind !== 'events') continue;
    for (const e of m.events) {
      switch (e.type) {
        case 'request.received':
          received++;
          break;
        case 'request.completed':
          completed++;
          addSample(durations, e.durationMs, completed);
          break;
        case 'request.failed':
          failed++;
          failedByKind[e.kind] = (failedByKind[e.kind] ?? 0) + 1;
          bumpKind(failedAt, e.t, e.kind);
          break;
        case 'worker.spawned':
          started++;
          bump(startedAt, e.t);
          break;
        case 'worker.exit':
          exited++;
          served += e.served;
          break;
        case 'pool.gauges':
          peakLive = Math.max(peakLive, e.liveInstances);
          break;
        default:
          break;
      }
      toSeries(e);
    }
    // The leak reducer counts findings; what a batch added is placed at its last event's second.
    const before = leaks.leaks;
    leaks = applyLeakEvents(leaks, m.events);
    const lastEvent = m.events[m.events.length - 1];
    if (lastEvent && leaks.leaks > before) bump(findingsAt, lastEvent.t, leaks.leaks - before);
  }
  while (segmentFirst <= lastSec) flushSegment();

  let startedSoFar = 0;
  let findingsSoFar = 0;
  for (const p of points) {
    startedSoFar += startedAt.get(p.x) ?? 0;
    findingsSoFar += findingsAt.get(p.x) ?? 0;
    p.started = startedSoFar;
    p.findings = findingsSoFar;
    p.failedByKind = failedAt.get(p.x) ?? {};
  }

  const durationSec = (recording.endT - recording.startT) / 1000;
  const endKnobs = recording.knobs ?? knobSets[knobSets.length - 1] ?? null;
  return {
    label,
    component,
    knobs: endKnobs,
    knobsChanged: knobSets.length > 1,
    points,
    cut,
    truncated: recording.truncated,
    summary: {
      durationSec,
      received,
      completed,
      failed,
      failedByKind,
      meanRps: completed / Math.max(1, durationSec),
      p50: percentile(durations, 50),
      p99: percentile(durations, 99),
      peakLive,
      started,
      exited,
      servedPerExit: exited > 0 ? served / exited : null,
      leakChecked: leaks.checked,
      leakFindings: leaks.leaks,
      leakSkipped: leaks.skippedTotal,
    },
  };
}

/** Keeps every duration up to the bound, then a spread sample (the n-th replaces a slot picked by n). */
function addSample(sample: number[], ms: number, n: number): void {
  if (sample.length < MAX_PROFILE_LATENCIES) sample.push(ms);
  else sample[(n * 7919) % MAX_PROFILE_LATENCIES] = ms;
}
