import {
  HISTORY_BUCKET_SECONDS,
  HISTORY_LATENCIES_PER_BUCKET,
  HISTORY_MAX_RETIRED,
  gaugesOf,
  maxGauges,
  type HistoryBefore,
  type HistoryBucket,
  type PoolEvent,
} from '../../protocol/index.ts';
import { InstanceTracker } from './instance-tracker.ts';

/**
 * What the events the history ring let go of leave behind: instances (live then, and retired,
 * bounded), one-second chart buckets (the last `HISTORY_BUCKET_SECONDS`) and request counters.
 * Fed each event as the ring drops it, so it is the state just before the ring's first event; a
 * dashboard starts from it and folds the kept events on top. The buckets follow the dashboard's
 * chart reducer (`renderer/src/model/charts.ts`), which this layer may not import.
 */
export class HistoryDigest {
  readonly #instances = new InstanceTracker(HISTORY_MAX_RETIRED);
  /** Ascending by `sec`. */
  #buckets: HistoryBucket[] = [];
  #received = 0;
  #ok = 0;
  #failed = 0;
  #failedByKind: HistoryBefore['requests']['failedByKind'] = {};

  apply(event: PoolEvent): void {
    this.#instances.apply(event);
    switch (event.type) {
      case 'request.received':
        this.#received++;
        return;
      case 'request.completed': {
        this.#ok++;
        const b = this.#bucketAt(event.t);
        b.completed++;
        // The dashboard's sampling: the first N, then a spread of replacements.
        if (b.latencies.length < HISTORY_LATENCIES_PER_BUCKET) b.latencies.push(event.durationMs);
        else b.latencies[(b.completed * 7919) % HISTORY_LATENCIES_PER_BUCKET] = event.durationMs;
        return;
      }
      case 'request.failed':
        this.#failed++;
        this.#failedByKind[event.kind] = (this.#failedByKind[event.kind] ?? 0) + 1;
        this.#bucketAt(event.t).failed++;
        return;
      case 'pool.gauges': {
        const b = this.#bucketAt(event.t);
        b.gaugesMax = maxGauges(b.gaugesMax, event);
        b.gaugesLast = gaugesOf(event);
        return;
      }
      default:
        return;
    }
  }

  before(): HistoryBefore {
    const { retired, total } = this.#instances.retired();
    return {
      live: this.#instances.snapshot(),
      retired,
      retiredTotal: total,
      // Copies: the buckets go on changing while a dashboard is being sent these.
      buckets: this.#buckets.map((b) => ({ ...b, latencies: b.latencies.slice() })),
      requests: {
        received: this.#received,
        ok: this.#ok,
        failed: this.#failed,
        failedByKind: { ...this.#failedByKind },
      },
    };
  }

  /** The bucket of time `t`: events come in time order, so it is the last one or a new one. */
  #bucketAt(t: number): HistoryBucket {
    const sec = Math.floor(t / 1000);
    const last = this.#buckets[this.#buckets.length - 1];
    if (last && last.sec >= sec) return last;
    const b: HistoryBucket = { sec, completed: 0, failed: 0, latencies: [], gaugesMax: null, gaugesLast: null };
    this.#buckets.push(b);
    // The dashboard's window: buckets older than HISTORY_BUCKET_SECONDS before the newest go.
    const firstKept = this.#buckets.findIndex((x) => x.sec > sec - HISTORY_BUCKET_SECONDS);
    if (firstKept > 0) this.#buckets = this.#buckets.slice(firstKept);
    return b;
  }
}
