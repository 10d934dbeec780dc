/**
 * A page that attaches late (or reloads) is sent the engine's history with its snapshot: it
 * rebuilds its state from that, through the same reducers as the live stream, so it shows what a
 * page open from the start shows (within the engine's bounds, which the event log states).
 */
import type { History, HistoryBefore, Snapshot } from '../../../protocol/index.ts';
import { initialCharts } from './charts.ts';
import { initialInstances, instancesFromSnapshot, newInstance } from './instances.ts';
import { initialLog } from './log.ts';
import { poolFromSnapshot } from './pool.ts';
import { initialRequests } from './requests.ts';
import { type DataState, type InstanceRecord, LIMITS } from './types.ts';

/**
 * The state the history's kept events start from: a fresh run of the snapshot's pool, with what
 * the engine's dropped events left behind (`before`), if it dropped any. `fresh` is the state of
 * an empty page; what does not come from the pool's events (load progress, the scenario) stays.
 */
export function historyBase(state: DataState, fresh: DataState, s: Snapshot, history: History): DataState {
  const base: DataState = {
    ...fresh,
    load: state.load,
    scenario: state.scenario,
    // Ready, and of this pool: the snapshot applied after the events is then no new run.
    pool: poolFromSnapshot(s, fresh.pool),
    log: { ...initialLog, total: history.dropped },
    // Only worth saying when the engine had something to tell (not to a page open from the start).
    engineHistory:
      history.events.length + history.dropped === 0
        ? null
        : {
            kept: history.events.length,
            dropped: history.dropped,
            maxEvents: history.maxEvents,
            maxBytes: history.maxBytes,
          },
  };
  return history.before ? withBefore(base, history.before) : base;
}

function withBefore(base: DataState, before: HistoryBefore): DataState {
  const live = instancesFromSnapshot(initialInstances, before.live, 0, true);
  const retired: InstanceRecord[] = before.retired.slice(0, LIMITS.retired).map(({ exit, ...r }) => ({
    ...newInstance(r.instanceId, r.createdAt),
    ...r,
    ok: r.ok ?? 0,
    failed: r.failed ?? 0,
    exit,
  }));
  const lastBucket = before.buckets[before.buckets.length - 1];
  return {
    ...base,
    // No `snapshotT`: every kept event is after these.
    instances: { live: live.live, retired, retiredTotal: before.retiredTotal, snapshotT: null },
    requests: {
      ...initialRequests,
      received: before.requests.received,
      ok: before.requests.ok,
      failedTotal: before.requests.failed,
      failedByKind: before.requests.failedByKind,
    },
    charts: {
      buckets: before.buckets.map((b) => ({ ...b, latencies: b.latencies.slice() })),
      lastGauges: lastBucket?.gaugesLast ?? initialCharts.lastGauges,
    },
  };
}
