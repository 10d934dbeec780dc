import { gaugesOf, maxGauges, type Gauges, type PoolEvent } from '../../protocol/index.ts';

/**
 * A batch of at least this many events is compacted: 100 per 50 ms batch is ~2,000 events a
 * second, ~180 req/s of a reuse-1 guest (about 11 events each), where the stream becomes loaded and
 * is batched every 250 ms (event-batcher.ts); there 100 is 400 events a second, so compaction
 * stays on as long as the load does. Below it, as when someone sends requests by hand, every event
 * goes out as emitted.
 */
export const COMPACT_FROM_EVENTS = 100;

/**
 * The live stream under load (issue 16 §7): a pool's gauges change several times per request, and
 * the dashboard draws them per second (each second's peak, and its last value). So of each second's
 * `pool.gauges` events in a batch, two go out: one carrying each gauge's peak over them, where the
 * first one was, and the last one. Every fold of the page (the charts' peaks and last values, the
 * pool's gauges, the clock) ends each batch where the full stream's would; the event log shows
 * fewer gauge rows (hidden unless asked for). The engine's history keeps every event.
 *
 * Instance states (`worker.status`, availability) are not compacted: the cards' time in state and
 * in-flight count depend on each change and where it falls among the request events.
 */
export function compactBatch(events: PoolEvent[]): PoolEvent[] {
  if (events.length < COMPACT_FROM_EVENTS) return events;
  /** Per second: where its first and last gauges events are, and each gauge's peak over them. */
  const seconds = new Map<number, { first: number; last: number; peak: Gauges }>();
  events.forEach((e, i) => {
    if (e.type !== 'pool.gauges') return;
    const sec = Math.floor(e.t / 1000);
    const seen = seconds.get(sec);
    if (seen) {
      seen.last = i;
      seen.peak = maxGauges(seen.peak, e);
    } else seconds.set(sec, { first: i, last: i, peak: gaugesOf(e) });
  });
  const peakAt = new Map<number, Gauges>();
  const lastAt = new Set<number>();
  for (const { first, last, peak } of seconds.values()) {
    lastAt.add(last);
    if (first !== last) peakAt.set(first, peak);
  }
  const out: PoolEvent[] = [];
  events.forEach((e, i) => {
    if (e.type !== 'pool.gauges' || lastAt.has(i)) out.push(e);
    else {
      const peak = peakAt.get(i);
      if (peak) out.push({ ...e, ...peak });
    }
  });
  return out;
}
