import type { FailureKind } from './events.ts';

/**
 * Teaching scenarios: built-in walkthroughs that pick a guest and knobs, drive load themselves and
 * caption each step, so reuse, concurrency, timeouts and traps can be shown in minutes.
 */
export interface ScenarioInfo {
  name: string;
  title: string;
  /** One sentence: what the viewer will see. */
  summary: string;
  steps: number;
}

/** What one measured phase of a scenario did, for the side-by-side comparison. */
export interface ScenarioPhaseResult {
  label: string;
  /** Requests answered or failed during the phase. */
  requests: number;
  failed: number;
  /**
   * Requests whose client left before the answer (`client-gone`): a closed-loop load stopping
   * with requests in flight. Not the guest's failures, so neither in `requests` nor `failed`.
   */
  abandoned: number;
  failedByKind: Partial<Record<FailureKind, number>>;
  requestsPerSecond: number;
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
  instancesStarted: number;
  /** Time-weighted over the phase. */
  averageLiveInstances: number;
  peakLiveInstances: number;
  /** Instances that ended, by how: drained gracefully, killed by the watchdog, or trapped. */
  drained: number;
  watchdogKills: number;
  traps: number;
  timeouts: number;
  /** Leak-detector verdicts during the phase. */
  leakChecks: number;
  leaks: number;
  durationMs: number;
}

export type ScenarioState = 'running' | 'finished' | 'failed' | 'stopped';

export interface ScenarioProgress {
  runId: number;
  name: string;
  title: string;
  /** Index of the step being shown, from 0. */
  step: number;
  steps: number;
  caption: string;
  state: ScenarioState;
  /** Why it failed (state `failed`). */
  error: string | null;
  /** Phases measured so far, in order. */
  results: ScenarioPhaseResult[];
  /** Short runs (load phases and reading pauses cut down), for previews and tests. */
  quick: boolean;
}
