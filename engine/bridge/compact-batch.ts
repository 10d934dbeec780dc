import { gaugesOf, maxGauges, type GaugesChanged, type PoolEvent } from '../../protocol/index.ts';

/**
 * A batch of at least this many events is compacted: 100 per 50 ms batch is ~2,000 events a
 * second, ~180 req/s of a reuse-1 guest (about 11 events each). Below it, as when someone sends
 * requests by hand, every event goes out as emitted.
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
  /** Per second: the index of its last gauges event, and its peak (at its first one's index). */
  const lastOfSecond = new Map<number, number>();
  const peaks = new Map<number, { at: number; event: GaugesChanged }>();
  events.forEach((e, i) => {
    if (e.type !== 'pool.gauges') return;
    const sec = Math.floor(e.t / 1000);
    lastOfSecond.set(sec, i);
    const peak = peaks.get(sec);
    if (peak) peak.event = { ...peak.event, ...maxGauges(gaugesOf(peak.event), e) };
    else peaks.set(sec, { at: i, event: e });
  });
  const peakAt = new Map<number, GaugesChanged>();
  for (const [sec, { at, event }] of peaks) if (lastOfSecond.get(sec) !== at) peakAt.set(at, event);
  const keptLast = new Set(lastOfSecond.values());
  const out: PoolEvent[] = [];
  events.forEach((e, i) => {
    if (e.type !== 'pool.gauges') out.push(e);
    else if (keptLast.has(i)) out.push(e);
    else {
      const peak = peakAt.get(i);
      if (peak) out.push(peak);
    }
  });
  return out;
}
