/**
 * A bounded latency histogram: logarithmic buckets 1% wide from 1 µs to ~1000 s (about 2,100
 * buckets), so percentiles are within ±0.5% of the true value whatever the run length. Min, max,
 * count and sum are exact. Two histograms merge by adding counts (for runs split over threads).
 *
 * We keep our own instead of reading autocannon's: autocannon records whole milliseconds, which
 * turns every sub-millisecond latency of a fast server into 0 or 1.
 */
const LOWEST_MS = 0.001;
const RATIO = 1.01;
const LOG_RATIO = Math.log(RATIO);
const BUCKETS = Math.ceil(Math.log(1_000_000 / LOWEST_MS) / LOG_RATIO) + 1;

export interface LatencyStats {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  min: number;
  mean: number;
}

export class LatencyHistogram {
  readonly counts: Uint32Array;
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = 0;

  constructor(counts?: Uint32Array) {
    this.counts = counts ?? new Uint32Array(BUCKETS);
  }

  /** Records one latency in milliseconds. */
  record(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    const bucket = bucketOf(ms);
    this.counts[bucket] = (this.counts[bucket] ?? 0) + 1;
    this.count += 1;
    this.sum += ms;
    if (ms < this.min) this.min = ms;
    if (ms > this.max) this.max = ms;
  }

  merge(other: LatencyHistogram): void {
    for (const [i, n] of other.counts.entries()) this.counts[i] = (this.counts[i] ?? 0) + n;
    this.count += other.count;
    this.sum += other.sum;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
  }

  /** The smallest recorded value with at least `p` percent of the samples at or below it (ms). */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (const [i, n] of this.counts.entries()) {
      seen += n;
      if (seen >= rank) return clamp(midpointOf(i), this.min, this.max);
    }
    return this.max;
  }

  stats(): LatencyStats | null {
    if (this.count === 0) return null;
    return {
      p50: round(this.percentile(50)),
      p90: round(this.percentile(90)),
      p99: round(this.percentile(99)),
      max: round(this.max),
      min: round(this.min),
      mean: round(this.sum / this.count),
    };
  }
}

function bucketOf(ms: number): number {
  if (ms <= LOWEST_MS) return 0;
  return Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / LOWEST_MS) / LOG_RATIO));
}

/** Bucket i holds (LOWEST·RATIO^(i-1), LOWEST·RATIO^i]; its geometric middle is within 0.5% of both ends. */
function midpointOf(i: number): number {
  return i === 0 ? LOWEST_MS : LOWEST_MS * RATIO ** (i - 0.5);
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/** Milliseconds to the microsecond: enough for a loopback hello server, short in JSON. */
function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
