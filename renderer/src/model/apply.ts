/**
 * The one entry point from server messages to state: every slice's reducer, applied to a whole
 * message (a snapshot, or a batch of events) at once, so the views render once per batch.
 */
import type { Gauges, LoadProgress, PoolEvent, ServerMessage, Snapshot } from '../../../protocol/index.ts';
import { applyChartEvents, chartsFromSnapshot, initialCharts } from './charts.ts';
import { applyInstanceEvents, initialInstances, instancesFromSnapshot } from './instances.ts';
import { applyLeakEvents, clearLeakHistory, initialLeaks, leaksFromSnapshot } from './leaks.ts';
import { historyBase } from './history.ts';
import { applyLogEvents, initialLog } from './log.ts';
import { applyOutgoingEvents, clearOutgoingHistory, initialOutgoing } from './outgoing.ts';
import { initialPool, isNewRun, poolFromSnapshot, withGauges } from './pool.ts';
import { applyRequestEvents, initialRequests } from './requests.ts';
import { applyScenarioProgress, initialScenario, scenarioFromSnapshot } from './scenario.ts';
import type { ClockState, DataState, LoadState } from './types.ts';

export const initialLoad: LoadState = { progress: null, running: false, requested: null, error: null };

export const initialData: DataState = {
  pool: initialPool,
  instances: initialInstances,
  requests: initialRequests,
  outgoing: initialOutgoing,
  charts: initialCharts,
  log: initialLog,
  clock: { offset: null, maxT: 0 },
  load: initialLoad,
  leaks: initialLeaks,
  scenario: initialScenario,
  engineHistory: null,
};

/** Every slice built from server messages, by name (a slice added to `initialData` is covered). */
// initialData is a DataState literal (no excess keys), so its own keys are exactly DataState's.
export const DATA_KEYS = Object.keys(initialData) as Array<keyof DataState>;

/** Copies one slice from `from` to `to`; typed by its key, so a loop over DATA_KEYS needs no cast. */
export function copySlice<K extends keyof DataState>(to: Partial<DataState>, from: DataState, key: K): void {
  to[key] = from[key];
}

/** Applies one server message. `localNow` is the receiver's monotonic clock (ms), for the engine-clock estimate. */
export function applyServerMessage(state: DataState, message: ServerMessage, localNow: number): DataState {
  switch (message.kind) {
    case 'snapshot':
      return applySnapshot(state, message.snapshot, localNow);
    case 'events':
      return applyEventBatch(state, message.events, message.gauges, message.dropped, localNow);
    case 'load-progress':
      return { ...state, load: applyLoadProgress(state.load, message.progress) };
    case 'scenario':
      return { ...state, scenario: applyScenarioProgress(state.scenario, message.progress) };
    case 'reply':
      return state; // replies go to whoever sent the command
  }
}

/**
 * `forceReset`: the caller knows a new pool started (its own `load`/`start`), even of the same component.
 * A snapshot carrying the engine's history (this page just attached) replaces the page's history
 * with it: its events are folded from a fresh state, then the snapshot is applied as usual.
 */
export function applySnapshot(state: DataState, s: Snapshot, localNow: number, forceReset = false): DataState {
  if (s.history) {
    const { history, ...rest } = s;
    const base = historyBase(state, initialData, rest, history);
    return applySnapshot(applyEventBatch(base, history.events, null, 0, localNow), rest, localNow);
  }
  const reset = forceReset || isNewRun(state.pool, s, state.clock.maxT);
  return {
    ...state,
    pool: poolFromSnapshot(s, state.pool),
    instances: instancesFromSnapshot(state.instances, s.instances, s.t, reset),
    requests: reset ? initialRequests : state.requests,
    outgoing: reset ? initialOutgoing : state.outgoing,
    charts: chartsFromSnapshot(state.charts, s.gauges, s.t, reset),
    log: reset ? initialLog : state.log,
    clock: { offset: s.t - localNow, maxT: reset ? s.t : Math.max(state.clock.maxT, s.t) },
    leaks: leaksFromSnapshot(state.leaks, s, reset),
    // A scenario outlives the pools it loads: never reset with the run.
    scenario: scenarioFromSnapshot(state.scenario, s),
    engineHistory: reset ? null : state.engineHistory,
  };
}

export function applyEventBatch(
  state: DataState,
  events: readonly PoolEvent[],
  gauges: Gauges | null,
  dropped: number,
  localNow: number,
): DataState {
  return {
    ...state,
    pool: gauges ? withGauges(state.pool, gauges) : state.pool,
    instances: applyInstanceEvents(state.instances, events),
    requests: applyRequestEvents(state.requests, events),
    outgoing: applyOutgoingEvents(state.outgoing, events),
    charts: applyChartEvents(state.charts, events, gauges),
    log: applyLogEvents(state.log, events, dropped),
    clock: advanceClock(state.clock, events, localNow),
    leaks: applyLeakEvents(state.leaks, events),
  };
}

/** Events happened before they arrived, so the engine's clock is at least the newest event's `t`. */
function advanceClock(clock: ClockState, events: readonly PoolEvent[], localNow: number): ClockState {
  const last = events[events.length - 1];
  if (!last) return clock;
  const maxT = Math.max(clock.maxT, last.t);
  const candidate = last.t - localNow;
  const offset = clock.offset === null ? candidate : Math.max(clock.offset, candidate);
  return { offset, maxT };
}

/**
 * The engine time now, estimated from the receiver's clock. Never earlier than the newest event
 * received: a reading taken before a batch arrived (a timer's) must not make what that batch
 * shows look younger than it is (an instance that served 114 requests aged `0ms`).
 */
export function engineNow(clock: ClockState, localNow: number): number {
  return clock.offset === null ? clock.maxT : Math.max(clock.maxT, localNow + clock.offset);
}

function applyLoadProgress(load: LoadState, progress: LoadProgress): LoadState {
  return { ...load, progress, running: !progress.finished };
}

/** Forget history (the `clearHistory` command): keep live instances and the snapshot, drop the rest. */
export function clearHistory(state: DataState): DataState {
  return {
    ...state,
    instances: { ...state.instances, retired: [], retiredTotal: 0 },
    requests: { ...initialRequests, lanes: state.requests.lanes, byId: runningOnly(state.requests.byId) },
    outgoing: clearOutgoingHistory(state.outgoing, new Set(state.instances.live.keys())),
    charts: { ...initialCharts, lastGauges: state.charts.lastGauges },
    log: initialLog,
    leaks: clearLeakHistory(state.leaks, new Set(state.instances.live.keys())),
    engineHistory: null,
  };
}

function runningOnly<K, V extends { outcome: string }>(map: ReadonlyMap<K, V>): Map<K, V> {
  return new Map([...map].filter(([, r]) => r.outcome === 'running' || r.outcome === 'waiting'));
}
