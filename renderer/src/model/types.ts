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
  EngineProblem,
  ExitCause,
  FailureKind,
  Gauges,
  InstanceSnapshot,
  LeakChecked,
  LeakDetectionSettings,
  LeakSkipReason,
  LoadProgress,
  OutgoingCall,
  PoolEvent,
  PoolKnobs,
  SpawnReason,
} from '../../../protocol/index.ts';

import type { ScenarioViewState } from './scenario.ts';

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

/**
 * One instance card: what a snapshot shows of the instance (kept by the shared fold,
 * `protocol/instance-fold.ts`; `createdAt` is when it was spawned, or first seen), and what only
 * the dashboard follows.
 */
export interface InstanceRecord extends InstanceSnapshot {
  drainCause: DrainCause | null;
  /** Engine time its shown state (status, or draining) began; null when unknown (seen first in a snapshot). */
  stateSince: number | null;
  /** Draining with nothing in flight since then (its drain deadline runs from here); else null. */
  drainQuietSince: number | null;
  instantiatedAt: number | null;
  instantiationMs: number | null;
  /** The executor thread hosting it (null in recordings made before executors). */
  executor: number | null;
  spawnReason: SpawnReason | null;
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

/** An outgoing request of a guest, as kept for the timeline (a `request.outgoing` event). */
export interface OutgoingRecord extends OutgoingCall {
  seq: number;
  /** Engine time it ended (the event's `t`); it began `durationMs` earlier. */
  t: number;
  instanceId: number;
  /** The guest request that made it, when the engine could tell. */
  requestId: number | null;
}

export interface OutgoingState {
  /** Per instance, in order of their end, the newest `LIMITS.outgoingPerInstance`. */
  byInstance: ReadonlyMap<number, readonly OutgoingRecord[]>;
  /**
   * Per instance: its outgoing requests not in `byInstance`: older ones let go for the cap, and
   * those the engine only counted (`request.outgoing_dropped`, past its per-second bound).
   */
  notKept: ReadonlyMap<number, number>;
  /** Every outgoing request seen (counted ones included), and how many failed. */
  total: number;
  failed: number;
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

/** The engine's history this page started from: what it kept, what it had let go, its bounds. */
export interface EngineHistoryInfo {
  kept: number;
  dropped: number;
  maxEvents: number;
  maxBytes: number;
}

export interface PoolState {
  component: ComponentInfo | null;
  listenUrl: string | null;
  serving: boolean;
  /** The served pool's id (see `Snapshot.poolId`). */
  poolId: number | null;
  knobs: PoolKnobs | null;
  requestedKnobs: PoolKnobs | null;
  demos: DemoInfo[];
  gauges: Gauges;
  /** Set once the first snapshot arrived. */
  ready: boolean;
  /** What the engine says went wrong (see `Snapshot.problem`). */
  problem: EngineProblem | null;
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

/**
 * A reused instance's answer that differed from a fresh instance's answer to the same request, or
 * failed where the fresh one answered: a `leak.checked` event with the verdict `leak` or
 * `failed-on-reuse`, as kept (`t` is when the verdict arrived).
 */
export type LeakFinding = Pick<
  LeakChecked,
  | 'requestId'
  | 'instanceId'
  | 'reuseIndex'
  | 'method'
  | 'uri'
  | 'requestHeaders'
  | 'requestBodyBytes'
  | 'differences'
  | 'replayMs'
  | 't'
> & {
  kind: 'leak' | 'failed-on-reuse';
  /** How the reused instance failed (`failed-on-reuse`), else null. */
  failure: string | null;
  /** Outgoing requests of the reused instance for this request and of the fresh one for the
   * replay; null when neither made one (or the event predates them). */
  outgoing: NonNullable<LeakChecked['outgoing']> | null;
};

/** An instance's linear-memory size after it had finished `requestsDone` requests. */
export interface MemoryPoint {
  requestsDone: number;
  bytes: number;
}

export interface MemoryGrowthWarning {
  instanceId: number;
  bytesPerRequest: number;
  fromBytes: number;
  toBytes: number;
  requests: number;
  t: number;
}

export interface LeaksState {
  /** The leak detector's settings, from the last snapshot (null before the first). */
  settings: LeakDetectionSettings | null;
  /** Replays compared, and their verdicts. */
  checked: number;
  same: number;
  /** Findings of both kinds. */
  leaks: number;
  /** The findings where the reused instance failed and a fresh one answered. */
  failedOnReuse: number;
  errors: number;
  skipped: Partial<Record<LeakSkipReason, number>>;
  skippedTotal: number;
  /** Replays queued or running, as the engine's last leak event said (0 in older recordings). */
  pending: number;
  /** Newest first, capped. */
  findings: LeakFinding[];
  /** Findings per instance (for the card badges; retired instances too). */
  byInstance: ReadonlyMap<number, number>;
  /** Reused answers checked per instance, whatever the verdict (the badges say "1 leak in 7 checked"). */
  checkedByInstance: ReadonlyMap<number, number>;
  /** The findings still in `findings`, by request id (for the timeline markers). */
  byRequest: ReadonlyMap<number, LeakFinding>;
  /** The last replay that could not be compared, and why. */
  lastError: { requestId: number; instanceId: number; message: string; t: number } | null;
  /** Live instances' memory after each request (only the changes are reported), ascending by `requestsDone`. */
  memory: ReadonlyMap<number, MemoryPoint[]>;
  /** Instances whose memory kept growing with the requests they served (retired ones too). */
  growth: ReadonlyMap<number, MemoryGrowthWarning>;
}

/** Every slice built from server messages. */
export interface DataState {
  pool: PoolState;
  instances: InstancesState;
  requests: RequestsState;
  outgoing: OutgoingState;
  charts: ChartsState;
  log: LogState;
  clock: ClockState;
  load: LoadState;
  leaks: LeaksState;
  scenario: ScenarioViewState;
  /** Set when this page's history was rebuilt from the engine's (it attached late, or reloaded). */
  engineHistory: EngineHistoryInfo | null;
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
  leakFindings: 500,
  /** Instances remembered with a finding count or a growth warning. */
  leakInstances: 1000,
  memoryPointsPerInstance: 200,
  /** Outgoing requests kept per instance (drawing stays cheap however chatty a guest is). */
  outgoingPerInstance: 100,
  /** Instances whose outgoing requests are kept (the most recently seen). */
  outgoingInstances: 500,
};
