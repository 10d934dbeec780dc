/** Charts slice: one-second buckets of throughput, latency and gauges, and the series drawn from them. */
import { gaugesOf, maxGauges, type Gauges, type PoolEvent } from '../../../protocol/index.ts';
import { LIMITS, ZERO_GAUGES, type Bucket, type ChartsState } from './types.ts';

export const initialCharts: ChartsState = { buckets: [], lastGauges: ZERO_GAUGES };

const secondOf = (t: number): number => Math.floor(t / 1000);

function emptyBucket(sec: number): Bucket {
  return { sec, completed: 0, failed: 0, latencies: [], gaugesMax: null, gaugesLast: null };
}

/** Applies one batch: events in order, then the gauges the batch ended with. */
export function applyChartEvents(
  state: ChartsState,
  events: readonly PoolEvent[],
  batchGauges: Gauges | null,
): ChartsState {
  const buckets = state.buckets.slice();
  const copied = new Set<number>();
  let changed = false;

  /** The bucket for time t, copied once per batch (buckets arrive in time order; rare stragglers go back a little). */
  const bucketAt = (t: number): Bucket => {
    const sec = secondOf(t);
    let index = buckets.length - 1;
    let b = buckets[index];
    while (b && b.sec > sec) b = buckets[--index];
    if (!b || b.sec !== sec) {
      b = emptyBucket(sec);
      buckets.splice(index + 1, 0, b);
      copied.add(sec);
    } else if (!copied.has(sec)) {
      b = { ...b, latencies: b.latencies.slice() };
      buckets[index] = b;
      copied.add(sec);
    }
    changed = true;
    return b;
  };

  let lastGauges = state.lastGauges;
  for (const e of events) {
    if (e.type === 'request.completed') {
      const b = bucketAt(e.t);
      b.completed++;
      addLatency(b, e.durationMs);
    } else if (e.type === 'request.failed') {
      bucketAt(e.t).failed++;
    } else if (e.type === 'pool.gauges') {
      const b = bucketAt(e.t);
      const g = gaugesOf(e);
      b.gaugesMax = maxGauges(b.gaugesMax, g);
      b.gaugesLast = g;
      lastGauges = g;
    }
  }
  if (batchGauges) lastGauges = batchGauges;
  if (!changed) return lastGauges === state.lastGauges ? state : { buckets: state.buckets, lastGauges };
  // biome-ignore lint/style/noNonNullAssertion: changed, so bucketAt left at least one bucket
  const newest = buckets[buckets.length - 1]!.sec;
  const firstKept = buckets.findIndex((b) => b.sec > newest - LIMITS.bucketSeconds);
  return { buckets: firstKept > 0 ? buckets.slice(firstKept) : buckets, lastGauges };
}

/** A snapshot's gauges become a sample at its time, so the charts start from the real values. */
export function chartsFromSnapshot(state: ChartsState, gauges: Gauges, t: number, reset: boolean): ChartsState {
  const base = reset ? initialCharts : state;
  const event = { type: 'pool.gauges', t, seq: -1, ...gauges } as const;
  return applyChartEvents(base, [event], gauges);
}

function addLatency(b: Bucket, ms: number): void {
  if (b.latencies.length < LIMITS.latenciesPerBucket) b.latencies.push(ms);
  else b.latencies[(b.completed * 7919) % LIMITS.latenciesPerBucket] = ms; // keep a spread sample
}

/** Nearest-rank percentile of unsorted values; null for none. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = values.slice().sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  // biome-ignore lint/style/noNonNullAssertion: 0 ≤ index < sorted.length, which is not 0
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/**
 * p50 and p99 of a bucket's latencies, sorted once and remembered: the charts redraw every second
 * over up to 300 buckets of up to 2,000 latencies, and sorting them all each time took ~8% of the
 * page's time under load. A bucket's array is never changed once a batch is applied (the next
 * batch copies it), so its identity is a safe key.
 */
const quantileCache = new WeakMap<readonly number[], { p50: number | null; p99: number | null }>();
function latencyQuantiles(values: readonly number[]): { p50: number | null; p99: number | null } {
  let q = quantileCache.get(values);
  if (!q) {
    const sorted = values.slice().sort((a, b) => a - b);
    q = { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
    quantileCache.set(values, q);
  }
  return q;
}

export interface SeriesPoint {
  /** Seconds relative to now (−59 … 0). */
  x: number;
  ok: number;
  failed: number;
  p50: number | null;
  p99: number | null;
  live: number;
  queue: number;
  /** Of `queue`, those waiting for the instance started for them; null when the engine did not say (older recordings). */
  waiting: number | null;
  inFlight: number;
}

/**
 * The chart series for the last `windowSec` seconds ending at engine time `now`, one point per second.
 * Seconds without gauge events carry the previous value forward (gauges only change with events).
 */
export function chartSeries(state: ChartsState, now: number, windowSec: number): SeriesPoint[] {
  const last = secondOf(now);
  const first = last - windowSec + 1;
  const { buckets } = state;
  let i = 0;
  let carry: Gauges = buckets.length === 0 ? state.lastGauges : ZERO_GAUGES;
  for (let b = buckets[i]; b && b.sec < first; b = buckets[++i]) carry = b.gaugesLast ?? carry;
  const points: SeriesPoint[] = [];
  for (let sec = first; sec <= last; sec++) {
    const next = buckets[i];
    const b = next?.sec === sec ? next : null;
    if (b) i++;
    const peak = b?.gaugesMax ?? carry;
    if (b?.gaugesLast) carry = b.gaugesLast;
    points.push({
      x: sec - last,
      ok: b?.completed ?? 0,
      failed: b?.failed ?? 0,
      p50: b ? latencyQuantiles(b.latencies).p50 : null,
      p99: b ? latencyQuantiles(b.latencies).p99 : null,
      live: peak.liveInstances,
      queue: peak.queueDepth,
      waiting: peak.waitingForStart ?? null,
      inFlight: peak.inFlight,
    });
  }
  return points;
}
