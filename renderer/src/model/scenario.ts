/** Scenario slice: the built-in teaching scenarios, and the one running or last run (pure). */
import type { ScenarioInfo, ScenarioPhaseResult, ScenarioProgress, Snapshot } from '../../../protocol/index.ts';

export interface ScenarioViewState {
  available: ScenarioInfo[];
  current: ScenarioProgress | null;
}

export const initialScenario: ScenarioViewState = { available: [], current: null };

export function scenarioFromSnapshot(state: ScenarioViewState, snapshot: Snapshot): ScenarioViewState {
  // Older engines (and recordings made by them) have no scenarios.
  const available = snapshot.scenarios ?? state.available;
  const current = snapshot.scenario === undefined ? state.current : newer(state.current, snapshot.scenario);
  return available === state.available && current === state.current ? state : { available, current };
}

export function applyScenarioProgress(state: ScenarioViewState, progress: ScenarioProgress): ScenarioViewState {
  const current = newer(state.current, progress);
  return current === state.current ? state : { ...state, current };
}

/** Progress of a later run wins; within a run, a message never takes the run back to an earlier step. */
function newer(current: ScenarioProgress | null, next: ScenarioProgress | null): ScenarioProgress | null {
  if (!next) return current;
  if (!current || next.runId !== current.runId) return next.runId >= (current?.runId ?? -1) ? next : current;
  if (current.state !== 'running') return current;
  return next.step >= current.step ? next : current;
}

/** One row of the side-by-side comparison: a label and a value per phase. */
export interface ComparisonRow {
  label: string;
  values: string[];
}

/** The measured phases side by side, only the rows where some phase has something to say. */
export function comparisonRows(results: ScenarioPhaseResult[]): ComparisonRow[] {
  const rows: Array<[string, (r: ScenarioPhaseResult) => number | string, boolean]> = [
    ['requests / s', (r) => Math.round(r.requestsPerSecond), true],
    ['requests', (r) => r.requests, true],
    ['failed', (r) => r.failed, true],
    ['p50 latency', (r) => (r.latencyP50Ms === null ? '–' : `${r.latencyP50Ms.toFixed(1)} ms`), true],
    ['instances started', (r) => r.instancesStarted, true],
    ['live instances (avg)', (r) => r.averageLiveInstances.toFixed(1), true],
    ['live instances (peak)', (r) => r.peakLiveInstances, true],
    ['timeouts', (r) => r.timeouts, false],
    ['drained', (r) => r.drained, false],
    ['killed by the watchdog', (r) => r.watchdogKills, false],
    ['traps', (r) => r.traps, false],
    ['leaks found', (r) => (r.leakChecks > 0 ? `${r.leaks} of ${r.leakChecks}` : r.leaks), false],
  ];
  return rows
    .filter(([, value, always]) => always || results.some((r) => value(r) !== 0))
    .map(([label, value]) => ({ label, values: results.map((r) => String(value(r))) }));
}
