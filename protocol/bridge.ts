import { z } from 'zod';
import type { ExitCause, Gauges, InstanceStatus, PoolEvent, UnavailableWhy, World } from './events.ts';
import { poolKnobsPatchSchema, type PoolKnobs } from './knobs.ts';
import { leakDetectionPatchSchema, type LeakDetectionSettings } from './leak-detection.ts';
import type { ScenarioInfo, ScenarioProgress } from './scenarios.ts';

/**
 * The dashboard bridge: what flows between the engine and a dashboard, over either transport
 * (a WebSocket in web mode, Electron IPC in the desktop app). The engine pushes batches of events
 * at a bounded rate; the dashboard sends commands and gets one reply per command.
 */

export interface ComponentInfo {
  /** What the user named: a path or `demo:<name>`. */
  spec: string;
  name: string;
  world: World;
  handlerInterface: string;
  sha256: string;
  /** Bound on each of its linear memories, bytes (`-W max-memory-size`); absent in old recordings. */
  maxMemoryBytes?: number;
}

/** One live instance as the engine sees it now (for a dashboard that connects mid-run). */
export interface InstanceSnapshot {
  instanceId: number;
  status: InstanceStatus | 'Starting';
  available: boolean;
  unavailableWhy: UnavailableWhy | null;
  draining: boolean;
  reuseCount: number;
  inFlight: number;
  createdAt: number;
  memoryBytes: number | null;
}

export interface DemoInfo {
  name: string;
  description: string;
}

/**
 * What last went wrong that the user must see, because nothing else shows it: a component that
 * could not be loaded or started, an unexpected error in the desktop app's main process. Cleared
 * when a component starts serving.
 */
export interface EngineProblem {
  message: string;
  /** Engine time it happened. */
  t: number;
}

/** Everything a dashboard needs to draw the current state, sent on connect and after `load`. */
export interface Snapshot {
  component: ComponentInfo | null;
  /** `http://HOST:PORT/` while serving. */
  listenUrl: string | null;
  serving: boolean;
  /**
   * The pool being served: a new number each time one starts (instance and request ids start
   * again with it), even of the same component; null while stopped.
   */
  poolId: number | null;
  /** The knobs in force (WASIp2 concurrency clamped to 1) and as set. */
  knobs: PoolKnobs;
  requestedKnobs: PoolKnobs;
  /** Knobs whose change reaches only instances created afterwards (empty: all apply live). */
  knobsForNewInstancesOnly: Array<keyof PoolKnobs>;
  instances: InstanceSnapshot[];
  gauges: Gauges;
  /** The leak detector's settings (they apply live, and survive reloading a component). */
  leakDetection: LeakDetectionSettings;
  demos: DemoInfo[];
  scenarios: ScenarioInfo[];
  /** The scenario running or last run, if any. */
  scenario: ScenarioProgress | null;
  /** See `EngineProblem`; absent in recordings made before it existed. */
  problem?: EngineProblem | null;
  /** Engine time of the snapshot, same clock as event `t`. */
  t: number;
}

export interface LoadProgress {
  runId: number;
  done: number;
  errors: number;
  /** Requests per second over the last second. */
  rate: number;
  finished: boolean;
  statusCounts: Record<string, number>;
  latencyMs: { p50: number; p90: number; p99: number; max: number } | null;
}

/** Engine → dashboard. */
export type ServerMessage =
  | { kind: 'snapshot'; snapshot: Snapshot }
  /** Events since the previous batch, in order, with the gauges at the end of the batch. */
  | { kind: 'events'; events: PoolEvent[]; gauges: Gauges; dropped: number }
  | { kind: 'load-progress'; progress: LoadProgress }
  | { kind: 'scenario'; progress: ScenarioProgress }
  | { kind: 'reply'; id: number; ok: true; result?: unknown }
  | { kind: 'reply'; id: number; ok: false; error: string };

const componentSpec = z
  .string()
  .min(1, { error: 'component must be a path to a .wasm file or demo:<name>' })
  .max(4096, { error: 'component path is too long' });

/** A path that URL resolution would read as another host: `//host/…`, or `/\host/…` (`\` counts as `/`). */
const SERVER_RELATIVE = /^\/[/\\]/;
/** Not valid in a request target; URL parsing also drops tabs and newlines, hiding a `//`. */
const CONTROL_OR_SPACE = /[\u0000-\u0020\u007f]/;

/** Dashboard → engine commands, validated on arrival: a bad one gets an error reply and changes nothing. */
export const commandSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('load'), component: componentSpec }),
  z.strictObject({ type: z.literal('start') }),
  z.strictObject({ type: z.literal('stop') }),
  z.strictObject({ type: z.literal('setKnobs'), patch: poolKnobsPatchSchema }),
  z.strictObject({ type: z.literal('setLeakDetection'), patch: leakDetectionPatchSchema }),
  z.strictObject({ type: z.literal('clearHistory') }),
  z.strictObject({
    type: z.literal('runScenario'),
    name: z.string().min(1, { error: 'scenario name is empty' }).max(100),
    quick: z.boolean().default(false),
  }),
  z.strictObject({ type: z.literal('stopScenario') }),
  z.strictObject({ type: z.literal('snapshot') }),
  z.strictObject({
    type: z.literal('sendRequests'),
    count: z.number().int().min(1, { error: 'count must be at least 1' }).max(100_000, { error: 'count must be at most 100000' }),
    concurrency: z
      .number()
      .int()
      .min(1, { error: 'concurrency must be at least 1' })
      .max(1000, { error: 'concurrency must be at most 1000' }),
    path: z
      .string()
      .max(2048, { error: 'path must be at most 2048 characters' })
      .startsWith('/', { error: 'path must start with /' })
      .refine((path) => !SERVER_RELATIVE.test(path), { error: 'path must start with a single / (//host or /\\host would name another server)' })
      .refine((path) => !CONTROL_OR_SPACE.test(path), { error: 'path must not contain spaces or control characters (percent-encode them)' }),
    method: z.enum(['GET', 'POST', 'PUT', 'DELETE', 'HEAD']).default('GET'),
  }),
]);

export type Command = z.infer<typeof commandSchema>;
export type CommandInput = z.input<typeof commandSchema>;

export const clientMessageSchema = z.strictObject({
  id: z.number().int().nonnegative(),
  command: commandSchema,
});
export type ClientMessage = z.infer<typeof clientMessageSchema>;

/** Reasons an instance left, in the words the dashboard shows. */
export const EXIT_CAUSE_LABELS: Record<ExitCause, string> = {
  drained: 'drained',
  'idle-timeout': 'idle timeout',
  watchdog: 'watchdog',
  trap: 'trap',
  'instantiation-failed': 'instantiation failed',
  'executor-lost': 'executor lost',
  'worker-crashed': 'worker crashed',
  shutdown: 'shutdown',
};

/** The transport-neutral client side, implemented over a WebSocket and over Electron IPC. */
export interface BridgeClient {
  /** Sends a command; resolves with its result or rejects with the engine's error message. */
  send(command: CommandInput): Promise<unknown>;
  /** Receives every server push (snapshots, event batches, load progress). */
  subscribe(listener: (message: ServerMessage) => void): () => void;
  close(): void;
}

/** Batching interval of event pushes: at most this many pushes per second reach a dashboard. */
export const EVENT_BATCH_INTERVAL_MS = 50;
/** Events kept per batch; beyond this the oldest request-level events are dropped (counted). */
export const MAX_EVENTS_PER_BATCH = 5000;
