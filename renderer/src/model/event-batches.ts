/** Event streams in batches, as the engine's bridge sends them (pure). */
import type { Gauges, GaugesChanged, PoolEvent, ServerMessage } from '../../../protocol/index.ts';

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

type EventsMessage = Extract<ServerMessage, { kind: 'events' }>;

/**
 * Joins each run of consecutive `events` messages into one (events in order, the last gauges,
 * the drops summed), so the reducers copy their state once per run instead of once per message.
 * Every other message keeps its place. The reducers fold a joined batch exactly as they fold its
 * parts one after another: each applies its events in order and keeps only the last gauges.
 */
export function coalesceMessages(messages: readonly ServerMessage[]): ServerMessage[] {
  const out: ServerMessage[] = [];
  let run: EventsMessage[] = [];
  const endRun = (): void => {
    const [only] = run;
    if (run.length === 1 && only) out.push(only);
    else if (run.length > 1) out.push(joinEvents(run));
    run = [];
  };
  for (const message of messages) {
    if (message.kind === 'events') run.push(message);
    else {
      endRun();
      out.push(message);
    }
  }
  endRun();
  return out;
}

function joinEvents(run: readonly EventsMessage[]): EventsMessage {
  const events: PoolEvent[] = [];
  let dropped = 0;
  for (const m of run) {
    for (const e of m.events) events.push(e);
    dropped += m.dropped;
  }
  // biome-ignore lint/style/noNonNullAssertion: joinEvents is only called with two or more messages
  return { kind: 'events', events, gauges: run[run.length - 1]!.gauges, dropped };
}
