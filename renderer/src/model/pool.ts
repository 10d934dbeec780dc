/** Pool slice: what the last snapshot said about the component, the server and the knobs. */
import type { Gauges, PoolKnobs, Snapshot } from '../../../protocol/index.ts';
import { ZERO_GAUGES, type PoolState } from './types.ts';

export const initialPool: PoolState = {
  component: null,
  listenUrl: null,
  serving: false,
  poolId: null,
  knobs: null,
  requestedKnobs: null,
  demos: [],
  gauges: ZERO_GAUGES,
  ready: false,
  problem: null,
};

/** While stopped the engine sends no component; the dashboard keeps showing the last one. */
export function poolFromSnapshot(s: Snapshot, previous: PoolState): PoolState {
  return {
    component: s.component ?? (s.serving ? null : previous.component),
    listenUrl: s.listenUrl,
    serving: s.serving,
    // Recordings made before pools had ids have none.
    poolId: s.poolId ?? null,
    knobs: s.knobs,
    requestedKnobs: s.requestedKnobs,
    demos: s.demos,
    gauges: s.gauges,
    ready: true,
    problem: s.problem ?? null,
  };
}

export function withGauges(state: PoolState, gauges: Gauges): PoolState {
  const g = state.gauges;
  if (
    g.liveInstances === gauges.liveInstances &&
    g.availableWorkers === gauges.availableWorkers &&
    g.queueDepth === gauges.queueDepth &&
    g.inFlight === gauges.inFlight
  ) {
    return state;
  }
  return { ...state, gauges };
}

/** After `setKnobs` succeeded: the knobs as set and in force, as the engine replied. */
export function withKnobs(state: PoolState, requested: PoolKnobs, effective: PoolKnobs): PoolState {
  return { ...state, requestedKnobs: requested, knobs: effective };
}

/**
 * Does a snapshot start a new run, whose history must not mix with the old one? Instance and
 * request ids restart with every pool, so: another pool id (another component, or the same one
 * loaded again), serving again after a stop, or a restarted engine clock. Stopping keeps the history on screen.
 */
export function isNewRun(state: PoolState, s: Snapshot, maxT: number): boolean {
  if (!state.ready) return true;
  if (s.t < maxT) return true;
  if (s.serving && !state.serving) return true;
  if (s.poolId != null && state.poolId !== null && s.poolId !== state.poolId) return true;
  if (s.component === null) return false;
  const a = state.component;
  return a?.spec !== s.component.spec || a.sha256 !== s.component.sha256;
}
