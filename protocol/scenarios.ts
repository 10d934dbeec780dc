import { z } from 'zod';
import { failureKindSchema } from './events.ts';

/**
 * Teaching scenarios: built-in walkthroughs that pick a guest and knobs, drive load themselves and
 * caption each step, so reuse, concurrency, timeouts and traps can be shown in minutes.
 */

const count = z.number().int().nonnegative();
const ms = z.number().nonnegative();

export const scenarioInfoSchema = z.object({
  name: z.string(),
  title: z.string(),
  /** One sentence: what the viewer will see. */
  summary: z.string(),
  steps: count,
});
export type ScenarioInfo = z.infer<typeof scenarioInfoSchema>;

/** What one measured phase of a scenario did, for the side-by-side comparison. */
export const scenarioPhaseResultSchema = z.object({
  label: z.string(),
  /** Requests answered or failed during the phase. */
  requests: count,
  failed: count,
  /**
   * Requests whose client left before the answer (`client-gone`): a closed-loop load stopping
   * with requests in flight. Not the guest's failures, so neither in `requests` nor `failed`.
   */
  abandoned: count,
  failedByKind: z.partialRecord(failureKindSchema, count),
  /**
   * Null when the phase's pace was set by something other than the guest (waiting for each leak
   * replay between requests), so a rate would compare the waits, not the pool.
   */
  requestsPerSecond: z.number().nonnegative().nullable(),
  latencyP50Ms: ms.nullable(),
  latencyP99Ms: ms.nullable(),
  instancesStarted: count,
  /** Time-weighted over the phase. */
  averageLiveInstances: z.number().nonnegative(),
  peakLiveInstances: count,
  /** Instances that ended, by how: drained gracefully, killed by the watchdog, or trapped. */
  drained: count,
  watchdogKills: count,
  traps: count,
  timeouts: count,
  /** Leak-detector verdicts during the phase. */
  leakChecks: count,
  leaks: count,
  durationMs: ms,
});
export type ScenarioPhaseResult = z.infer<typeof scenarioPhaseResultSchema>;

export const scenarioStateSchema = z.enum(['running', 'finished', 'failed', 'stopped']);
export type ScenarioState = z.infer<typeof scenarioStateSchema>;

export const scenarioProgressSchema = z.object({
  runId: count,
  name: z.string(),
  title: z.string(),
  /** Index of the step being shown, from 0. */
  step: count,
  steps: count,
  caption: z.string(),
  state: scenarioStateSchema,
  /** Why it failed (state `failed`). */
  error: z.string().nullable(),
  /** Phases measured so far, in order. */
  results: z.array(scenarioPhaseResultSchema),
  /** Short runs (load phases and reading pauses cut down), for previews and tests. */
  quick: z.boolean(),
});
export type ScenarioProgress = z.infer<typeof scenarioProgressSchema>;
