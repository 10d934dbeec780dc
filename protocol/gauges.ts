import type { Gauges } from './events.ts';

/** The gauges alone (an event's `type`, `t` and `seq` left behind). */
export function gaugesOf(g: Gauges): Gauges {
  return {
    liveInstances: g.liveInstances,
    availableWorkers: g.availableWorkers,
    queueDepth: g.queueDepth,
    inFlight: g.inFlight,
    ...(g.waitingForStart === undefined ? {} : { waitingForStart: g.waitingForStart }),
  };
}

/** Each gauge's larger value: the peak of a span, built up one sample at a time (`a` null: none yet). */
export function maxGauges(a: Gauges | null, b: Gauges): Gauges {
  if (!a) return gaugesOf(b);
  const waiting =
    a.waitingForStart === undefined && b.waitingForStart === undefined
      ? undefined
      : Math.max(a.waitingForStart ?? 0, b.waitingForStart ?? 0);
  return {
    liveInstances: Math.max(a.liveInstances, b.liveInstances),
    availableWorkers: Math.max(a.availableWorkers, b.availableWorkers),
    queueDepth: Math.max(a.queueDepth, b.queueDepth),
    inFlight: Math.max(a.inFlight, b.inFlight),
    ...(waiting === undefined ? {} : { waitingForStart: waiting }),
  };
}
