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
  const always = (): boolean => true;
  const anyNonZero =
    (value: (r: ScenarioPhaseResult) => number | string) =>
    (all: ScenarioPhaseResult[]): boolean =>
      all.some((r) => value(r) !== 0);
  const row = (
    label: string,
    value: (r: ScenarioPhaseResult) => number | string,
    shown: (all: ScenarioPhaseResult[]) => boolean = anyNonZero(value),
  ) => ({ label, value, shown });
  const rows = [
    // A phase paced by something else than the pool (leak replays) has no rate: "–", and no row if none has one.
    row(
      'requests / s',
      (r) => (r.requestsPerSecond === null ? '–' : Math.round(r.requestsPerSecond)),
      (all) => all.some((r) => r.requestsPerSecond !== null),
    ),
    row('requests', (r) => r.requests, always),
    row('failed', (r) => r.failed, always),
    row('p50 latency', (r) => (r.latencyP50Ms === null ? '–' : `${r.latencyP50Ms.toFixed(1)} ms`), always),
    row('instances started', (r) => r.instancesStarted, always),
    row('live instances (avg)', (r) => r.averageLiveInstances.toFixed(1), always),
    row('live instances (peak)', (r) => r.peakLiveInstances, always),
    row('timeouts', (r) => r.timeouts),
    row('drained', (r) => r.drained),
    row('killed by the watchdog', (r) => r.watchdogKills),
    row('traps', (r) => r.traps),
    row('leaks found', (r) => (r.leakChecks > 0 ? `${r.leaks} of ${r.leakChecks}` : r.leaks)),
  ];
  return rows
    .filter(({ shown }) => shown(results))
    .map(({ label, value }) => ({ label, values: results.map((r) => String(value(r))) }));
}

/** What the user has set up or started since a scenario ended, as far as the banner cares. */
export interface UserWork {
  poolId: number | null;
  component: string | null;
  serving: boolean;
  knobs: unknown;
  leakDetection: unknown;
  /** The load generator's last run, if any. */
  loadRunId: number | null;
}

/** One comparable key for `UserWork`: equal keys, no new work. */
export function userWorkKey(work: UserWork): string {
  return JSON.stringify([work.poolId, work.component, work.serving, work.knobs, work.leakDetection, work.loadRunId]);
}

/** The user's own choice (expanded or one line), made while the work key was `key`. */
export interface BannerChoice {
  runId: number;
  key: string;
  expanded: boolean;
}

/**
 * Whether the banner shows everything (caption, results) or one line. A run shows all while it
 * runs and once it ends; it folds to one line by itself as soon as the user does something else
 * (loads, starts or stops a component, turns a knob or leak setting, sends load), since its
 * results then describe another setup. The user's own choice wins until the work changes again.
 */
export function bannerExpanded(args: {
  current: ScenarioProgress;
  /** The work key when this page first saw the run ended (null while it runs). */
  endKey: string | null;
  nowKey: string;
  choice: BannerChoice | null;
}): boolean {
  const { current, endKey, nowKey, choice } = args;
  const running = current.state === 'running';
  if (choice && choice.runId === current.runId && (running || choice.key === nowKey)) return choice.expanded;
  return running || endKey === null || endKey === nowKey;
}
