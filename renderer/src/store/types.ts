/**
 * The dashboard's state, slice by slice. Everything here is plain data built by the pure reducers
 * in this folder (no JSX, no browser globals), so Node's test runner can check it against event
 * streams recorded from the engine.
 */
import type {
  ComponentInfo,
  DemoInfo,
  DispatchMode,
  DrainCause,
  ExitCause,
  FailureKind,
  Gauges,
  InstanceStatus,
  LoadProgress,
  PoolEvent,
  PoolKnobs,
  SpawnReason,
  UnavailableWhy,
} from '../../../engine/protocol/index.ts';

export interface OutputLine {
  t: number;
  stream: 'stdout' | 'stderr';
  line: string;
}

export interface ExitInfo {
  cause: ExitCause;
  message: string | null;
  t: number;
  served: number;
  lifetimeMs: number;
}

export interface InstanceRecord {
  instanceId: number;
  status: InstanceStatus | 'Starting';
  available: boolean;
  unavailableWhy: UnavailableWhy | null;
  draining: boolean;
  drainCause: DrainCause | null;
  /** Requests accepted so far (the reuse count). */
  reuseCount: number;
  inFlight: number;
  /** Engine time the instance was spawned (or first seen). */
  createdAt: number;
  instantiatedAt: number | null;
  instantiationMs: number | null;
  threadRecycled: boolean | null;
  spawnReason: SpawnReason | null;
  memoryBytes: number | null;
  /** Requests it answered / that failed on it, as seen by this dashboard. */
  ok: number;
  failed: number;
  /** Most recent guest output lines (capped). */
  output: OutputLine[];
  instantiationError: string | null;
  exit: ExitInfo | null;
}

export interface InstancesState {
  live: ReadonlyMap<number, InstanceRecord>;
  /** Newest first, capped. */
  retired: InstanceRecord[];
  retiredTotal: number;
  /** Events up to this engine time are already part of the last snapshot (first batch only). */
  snapshotT: number | null;
}

export type RequestOutcome = 'waiting' | 'running' | 'ok' | 'failed';

export interface RequestRecord {
  requestId: number;
  method: string;
  uri: string;
  receivedAt: number;
  dispatchMode: DispatchMode | null;
  acceptedAt: number | null;
  instanceId: number | null;
  /** The instance's reuse count when it accepted this request (1 = first request it served). */
  reuseIndex: number | null;
  /** Row within the instance's timeline lane (lowest row free when accepted). */
  slot: number;
  status: number | null;
  respondedAt: number | null;
  endedAt: number | null;
  latencyMs: number | null;
  durationMs: number | null;
  outcome: RequestOutcome;
  failure: { kind: FailureKind; message: string } | null;
  expired: boolean;
}

export interface RequestsState {
  /** Insertion order is receipt order; capped (oldest dropped). */
  byId: ReadonlyMap<number, RequestRecord>;
  /** Newest first, capped. */
  failed: RequestRecord[];
  failedTotal: number;
  failedByKind: Partial<Record<FailureKind, number>>;
  received: number;
  ok: number;
  /** Per instance: request id in each lane row, null where free. */
  lanes: ReadonlyMap<number, ReadonlyArray<number | null>>;
}

export interface Bucket {
  /** Engine second (floor(t / 1000)). */
  sec: number;
  completed: number;
  failed: number;
  latencies: number[];
  /** Highest gauge values seen during the second, and the last ones. */
  gaugesMax: Gauges | null;
  gaugesLast: Gauges | null;
}

export interface ChartsState {
  /** Ascending by `sec`, at most one per second, capped to the last few minutes. */
  buckets: Bucket[];
  lastGauges: Gauges;
}

export interface LogState {
  /** Capped to the most recent events. */
  events: PoolEvent[];
  total: number;
  /** Events the engine dropped from batches because the dashboard could not keep up. */
  dropped: number;
}

export interface PoolState {
  component: ComponentInfo | null;
  listenUrl: string | null;
  serving: boolean;
  knobs: PoolKnobs | null;
  requestedKnobs: PoolKnobs | null;
  knobsForNewInstancesOnly: Array<keyof PoolKnobs>;
  demos: DemoInfo[];
  gauges: Gauges;
  /** Set once the first snapshot arrived. */
  ready: boolean;
}

export interface ClockState {
  /** engine time ≈ local monotonic time + offset; null before the first message. */
  offset: number | null;
  /** Highest engine time seen in any message. */
  maxT: number;
}

export interface LoadState {
  progress: LoadProgress | null;
  running: boolean;
  /** What was asked for, to show progress against. */
  requested: { count: number; concurrency: number; path: string; method: string } | null;
  error: string | null;
}

/** Every slice built from server messages. */
export interface DataState {
  pool: PoolState;
  instances: InstancesState;
  requests: RequestsState;
  charts: ChartsState;
  log: LogState;
  clock: ClockState;
  load: LoadState;
}

export const ZERO_GAUGES: Gauges = { liveInstances: 0, availableWorkers: 0, queueDepth: 0, inFlight: 0 };

/** Caps: what the dashboard keeps, so memory stays flat however long it runs. */
export const LIMITS = {
  logEvents: 5000,
  requests: 4000,
  failed: 500,
  retired: 200,
  outputLinesPerInstance: 50,
  bucketSeconds: 300,
  latenciesPerBucket: 2000,
};
