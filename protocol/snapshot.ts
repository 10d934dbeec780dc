import { z } from 'zod';
import { gaugesSchema, worldSchema } from './events.ts';
import { historySchema } from './history.ts';
import { instanceSnapshotSchema } from './instance-snapshot.ts';
import { poolKnobsSchema } from './knobs.ts';
import { leakDetectionSchema } from './leak-detection.ts';
import { scenarioInfoSchema, scenarioProgressSchema } from './scenarios.ts';

export { instanceSnapshotSchema, type InstanceSnapshot } from './instance-snapshot.ts';

/** The engine's state as a dashboard draws it: sent on connect, after `load`, and in some replies. */

const count = z.number().int().nonnegative();

export const componentInfoSchema = z.object({
  /** What the user named: a path or `demo:<name>`. */
  spec: z.string(),
  name: z.string(),
  world: worldSchema,
  handlerInterface: z.string(),
  sha256: z.string(),
  /** Bound on each of its linear memories, bytes (`-W max-memory-size`); absent in old recordings. */
  maxMemoryBytes: count.optional(),
});
export type ComponentInfo = z.infer<typeof componentInfoSchema>;

export const demoInfoSchema = z.object({
  name: z.string(),
  description: z.string(),
});
export type DemoInfo = z.infer<typeof demoInfoSchema>;

/**
 * What last went wrong that the user must see, because nothing else shows it: a component that
 * could not be loaded or started, an unexpected error in the desktop app's main process. Cleared
 * when a component starts serving.
 */
export const ENGINE_PROBLEM_MAX_CHARS = 10_000;

export const engineProblemSchema = z.object({
  /** The engine cuts a longer message (a path can be long) to this, marking the cut. */
  message: z.string().max(ENGINE_PROBLEM_MAX_CHARS),
  /** Engine time it happened. */
  t: z.number().nonnegative(),
});
export type EngineProblem = z.infer<typeof engineProblemSchema>;

/** Everything a dashboard needs to draw the current state, sent on connect and after `load`. */
export const snapshotSchema = z.object({
  component: componentInfoSchema.nullable(),
  /** `http://HOST:PORT/` while serving. */
  listenUrl: z.string().nullable(),
  serving: z.boolean(),
  /**
   * The pool being served: a new number each time one starts (instance and request ids start
   * again with it), even of the same component; null while stopped.
   */
  poolId: count.nullable(),
  /** The knobs in force (WASIp2 concurrency clamped to 1) and as set. */
  knobs: poolKnobsSchema,
  requestedKnobs: poolKnobsSchema,
  instances: z.array(instanceSnapshotSchema),
  gauges: gaugesSchema,
  /** The leak detector's settings (they apply live, and survive reloading a component). */
  leakDetection: leakDetectionSchema,
  demos: z.array(demoInfoSchema),
  scenarios: z.array(scenarioInfoSchema),
  /** The scenario running or last run, if any. */
  scenario: scenarioProgressSchema.nullable(),
  /** See `EngineProblem`; absent in recordings made before it existed. */
  problem: engineProblemSchema.nullable().optional(),
  /**
   * The current pool's history, sent only to a dashboard that just attached (see `History`); a
   * dashboard given one rebuilds its history from it. Absent otherwise, and in older recordings.
   */
  history: historySchema.optional(),
  /** Engine time of the snapshot, same clock as event `t`. */
  t: z.number().nonnegative(),
});
export type Snapshot = z.infer<typeof snapshotSchema>;
