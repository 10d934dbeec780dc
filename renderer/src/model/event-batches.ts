/** Event streams in batches, as the engine's bridge sends them (pure). */
import type { Gauges, GaugesChanged, PoolEvent } from '../../../protocol/index.ts';

/** Splits events into batches the way the server does: everything within each `intervalMs` window. */
export function batchesOf(events: readonly PoolEvent[], intervalMs: number): PoolEvent[][] {
  const batches: PoolEvent[][] = [];
  let current: PoolEvent[] = [];
  let windowEnd = -Infinity;
  for (const e of events) {
    if (e.t >= windowEnd && current.length > 0) {
      batches.push(current);
      current = [];
    }
    if (current.length === 0) windowEnd = e.t + intervalMs;
    current.push(e);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** The gauges after these events: the last `pool.gauges` event's, else `previous`. */
export function gaugesAfter<G extends Gauges | null>(events: readonly PoolEvent[], previous: G): Gauges | G {
  const e = events.findLast((event): event is GaugesChanged => event.type === 'pool.gauges');
  return e
    ? {
        liveInstances: e.liveInstances,
        availableWorkers: e.availableWorkers,
        queueDepth: e.queueDepth,
        inFlight: e.inFlight,
      }
    : previous;
}
