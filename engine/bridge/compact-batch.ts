import { gaugesOf, maxGauges, type GaugesChanged, type PoolEvent } from '../../protocol/index.ts';

/**
 * A batch of at least this many events is compacted: 100 per 50 ms batch is ~2,000 events a
 * second, ~180 req/s of a reuse-1 guest (about 11 events each). Below it, as when someone sends
 * requests by hand, every event goes out as emitted.
 */
export const COMPACT_FROM_EVENTS = 100;

/**
 * The live stream under load (issue 16 §7): drops the events whose whole effect on a dashboard is
 * overwritten later in the same batch, so the page parses and folds about half as many.
 *
 * - `worker.status`, and `worker.available`/`worker.unavailable`, are states: of each instance,
 *   only the last of each kind in the batch stays (the fold sets the state; nothing counts them).
 *   `worker.unavailable` for draining always stays, as it marks the instance draining for good.
 * - `pool.gauges`: of each second, one event carrying each gauge's peak over the second's events
 *   (the charts draw per-second peaks), where the second's first one was, and the second's last one
 *   (its current values).
 *
 * What stays keeps its order, so every fold ends in the same state as on the full stream. The
 * engine's history keeps every event (for a page that opens later) and its request details keep
 * every phase (for the request panel); only the event log of a page open under load shows fewer
 * state rows.
 */
export function compactBatch(events: PoolEvent[]): PoolEvent[] {
  if (events.length < COMPACT_FROM_EVENTS) return events;
  const keep = new Uint8Array(events.length);
  const lastStatus = new Set<number>();
  const lastAvailability = new Set<number>();
  /** Per second: the index of its last gauges event, and where its peak goes (its first one's index). */
  const lastGaugesOfSecond = new Set<number>();
  const peaks = new Map<number, { at: number; event: GaugesChanged }>();
  // Backwards: the first of a kind met is the batch's last.
  for (let i = events.length - 1; i >= 0; i--) {
    // biome-ignore lint/style/noNonNullAssertion: 0 ≤ i < length
    const e = events[i]!;
    switch (e.type) {
      case 'worker.status':
        if (!lastStatus.has(e.instanceId)) {
          lastStatus.add(e.instanceId);
          keep[i] = 1;
        }
        break;
      case 'worker.available':
      case 'worker.unavailable':
        if (e.type === 'worker.unavailable' && e.why === 'draining') keep[i] = 1;
        else if (!lastAvailability.has(e.instanceId)) keep[i] = 1;
        lastAvailability.add(e.instanceId);
        break;
      case 'pool.gauges': {
        const sec = Math.floor(e.t / 1000);
        if (!lastGaugesOfSecond.has(sec)) {
          lastGaugesOfSecond.add(sec);
          keep[i] = 1;
        }
        const peak = peaks.get(sec);
        peaks.set(sec, { at: i, event: { ...e, ...maxGauges(peak ? gaugesOf(peak.event) : null, e) } });
        break;
      }
      default:
        keep[i] = 1;
    }
  }
  const peakAt = new Map<number, GaugesChanged>();
  for (const { at, event } of peaks.values()) if (keep[at] === 0) peakAt.set(at, event);
  const out: PoolEvent[] = [];
  events.forEach((e, i) => {
    const peak = peakAt.get(i);
    if (peak) out.push(peak);
    else if (keep[i] === 1) out.push(e);
  });
  return out;
}
