/**
 * Lifecycle events: the contract between the engine, the Electron shell and the dashboard.
 * Names follow the recommended schema of the ProxyHandler spec (§10.2).
 * Every event carries `t` (milliseconds on the engine's monotonic clock) and `seq`
 * (a per-engine sequence number), plus the ids that tie it to requests and instances.
 */

export type World = 'wasip2' | 'wasip3';

/** Status of an instance, as in wasmtime's `WorkerStatus`. */
export type InstanceStatus = 'Idle' | 'Requests' | 'PostReturn';

export type DispatchMode = 'spawn-direct' | 'queued' | 'queued-then-spawn';

/**
 * Why a worker started: no worker was available for a new request (wasmtime's fast path), the
 * last available worker went busy with work still queued, or an instance ended and left queued
 * requests that no starting or busy worker can take.
 */
export type SpawnReason = 'no-available-worker' | 'last-available-went-busy' | 'queue-without-taker';

/** `executor-stalled`: the instance's executor thread is held by a guest that does not yield. */
export type UnavailableWhy = 'reuse-limit' | 'concurrency-limit' | 'cpu-busy' | 'backpressure' | 'draining' | 'executor-stalled';

export type DrainCause = 'request-expired' | 'reuse-exhausted' | 'idle-timeout' | 'shutdown';

export type ExitCause =
  | 'drained' // accepted its last request and finished its work
  | 'idle-timeout' // stayed Idle longer than the idle timeout
  | 'watchdog' // stalled past the request timeout, killed from outside
  | 'trap' // the guest trapped (or called wasi:cli/exit): the instance is poisoned
  | 'instantiation-failed'
  | 'executor-lost' // the executor thread hosting it died, or was terminated to stop another instance on it
  | 'worker-crashed' // recordings made before executors: the instance's own thread died
  | 'shutdown'; // the pool was closed

export type FailureKind =
  | 'never-set' // p2: handle returned (or trapped) without response-outparam::set
  | 'guest-error' // the guest answered with an error-code
  | 'timeout' // layer A expiry or layer B watchdog
  | 'trap' // the instance died under the request
  | 'instantiation' // no instance could be created for the request
  | 'shutdown' // the pool closed before the request was served
  | 'client-gone' // the HTTP client went away before its response was complete (while sending its body, waiting, or being served)
  | 'refused'; // the front door refused it before the pool saw it (body too large, memory budget)

interface Base {
  t: number;
  seq: number;
}

export interface RequestReceived extends Base {
  type: 'request.received';
  requestId: number;
  method: string;
  uri: string;
}
export interface RequestDispatched extends Base {
  type: 'request.dispatched';
  requestId: number;
  mode: DispatchMode;
}
export interface RequestAccepted extends Base {
  type: 'request.accepted';
  requestId: number;
  instanceId: number;
  /** Requests in flight on the instance, this one included. */
  inFlight: number;
  /** Requests the instance has accepted in total, this one included (its reuse count). */
  reuseCount: number;
}
export interface RequestResponded extends Base {
  type: 'request.responded';
  requestId: number;
  instanceId: number;
  status: number;
  latencyMs: number;
}
export interface RequestCompleted extends Base {
  type: 'request.completed';
  requestId: number;
  instanceId: number;
  /** Whole time from receipt to the end of the response body. */
  durationMs: number;
  bodyBytes: number;
}
export interface RequestExpired extends Base {
  type: 'request.expired';
  requestId: number;
  instanceId: number;
  latencyMs: number;
}
export interface RequestFailed extends Base {
  type: 'request.failed';
  requestId: number;
  instanceId: number | null;
  kind: FailureKind;
  message: string;
  latencyMs: number;
}

export interface WorkerSpawned extends Base {
  type: 'worker.spawned';
  instanceId: number;
  reason: SpawnReason;
  /** The executor thread hosting the instance (absent in recordings made before executors). */
  executor?: number;
}
export interface WorkerInstantiated extends Base {
  type: 'worker.instantiated';
  instanceId: number;
  durationMs: number;
}
export interface WorkerInstantiationFailed extends Base {
  type: 'worker.instantiation_failed';
  instanceId: number;
  message: string;
  failedRequests: number;
}
export interface WorkerAvailable extends Base {
  type: 'worker.available';
  instanceId: number;
}
export interface WorkerUnavailable extends Base {
  type: 'worker.unavailable';
  instanceId: number;
  why: UnavailableWhy;
}
export interface WorkerStatusChanged extends Base {
  type: 'worker.status';
  instanceId: number;
  status: InstanceStatus;
}
export interface WorkerDraining extends Base {
  type: 'worker.draining';
  instanceId: number;
  cause: DrainCause;
}
export interface WorkerExit extends Base {
  type: 'worker.exit';
  instanceId: number;
  cause: ExitCause;
  /** Requests this instance accepted over its life. */
  served: number;
  lifetimeMs: number;
  message: string | null;
}
export interface WorkerMemory extends Base {
  type: 'worker.memory';
  instanceId: number;
  /** Sum of the instance's linear memories, in bytes, after a request finished. */
  bytes: number;
  /** Requests the instance had finished when it was measured (the x axis of its growth curve). */
  requestsDone: number;
}
/** An instance whose memory kept growing with the requests it served (a leaking allocator or cache). */
export interface WorkerMemoryGrowth extends Base {
  type: 'worker.memory_growth';
  instanceId: number;
  /** Average growth per finished request over the measured span. */
  bytesPerRequest: number;
  fromBytes: number;
  toBytes: number;
  /** Finished requests the span covers. */
  requests: number;
  /** Requests in the span after which memory had grown. */
  growths: number;
}
/** How an outgoing request ended: its response arrived whole, it failed, or the guest let go of it first. */
export type OutgoingOutcome = 'complete' | 'failed' | 'dropped';

/**
 * One outgoing HTTP request of a guest (WASIp2 `outgoing-handler`, WASIp3 `client.send`), reported
 * once it is over: when the upstream's response has fully arrived (`complete`), when it failed at
 * any point (`failed`, `error` set; a request refused before anything was sent, such as
 * `HTTP-request-denied`, is one too), or when the guest let go of it before its response body
 * ended (`dropped`). The host's record of it (host/outgoing) is this type. Texts are bounded (see
 * `OUTGOING_TEXT_LIMITS` in outgoing.ts).
 */
export interface OutgoingCall {
  /** As sent: `GET`, `POST`, or the guest's own token. */
  method: string;
  /** `http` or `https` (for a request refused before that was settled, what the guest asked for). */
  scheme: string;
  /** `host[:port]` as the guest gave it. */
  authority: string;
  /** The path with its query, as sent. */
  path: string;
  /** The upstream's status; null when no response head arrived. */
  status: number | null;
  /** From the guest's call to the request's end (response complete, failure, or let go). */
  durationMs: number;
  outcome: OutgoingOutcome;
  /** What the guest was told (the error-code's tag) and a readable detail; null unless failed. */
  error: { tag: string; detail: string | null } | null;
  /** Request body bytes sent upstream, and response body bytes received. */
  requestBytes: number;
  responseBytes: number;
}

/**
 * An instance's outgoing request, when it ended (`t`; it began `durationMs` earlier). At most
 * `MAX_OUTGOING_EVENTS_PER_SECOND` per instance are reported one by one; the rest are counted in
 * `request.outgoing_dropped`.
 */
export interface RequestOutgoing extends Base, OutgoingCall {
  type: 'request.outgoing';
  instanceId: number;
  /**
   * The guest request it was made for: the one request in flight on the instance when it began
   * (always known for WASIp2, which runs one request at a time); null when none or several were
   * (WASIp3 with concurrent requests), since the host cannot tell which of them made it.
   */
  requestId: number | null;
}

/** Outgoing requests of an instance past the per-second bound, counted instead of reported (at most one event a second per instance). */
export interface RequestOutgoingDropped extends Base {
  type: 'request.outgoing_dropped';
  instanceId: number;
  /** Outgoing requests not reported one by one since the previous such event. */
  count: number;
  /** How many of those failed. */
  failed: number;
}

export interface GuestOutput extends Base {
  type: 'guest.output';
  instanceId: number;
  stream: 'stdout' | 'stderr';
  line: string;
}

/**
 * What a replay on a fresh instance said about an answer from a reused one: `same` (or both
 * failed), `leak` (the answers differ), `failed-on-reuse` (the reused instance failed — a 5xx, a
 * trap, a cut-off body — where a fresh one answered: a leak too, the plainest kind), `error`
 * (the fresh instance failed where the reused one answered: nothing to compare with).
 */
export type LeakVerdict = 'same' | 'leak' | 'failed-on-reuse' | 'error';

/** A reused instance's answer, replayed on a fresh instance outside the pool and compared. */
export interface LeakChecked extends Base {
  type: 'leak.checked';
  requestId: number;
  instanceId: number;
  /** The instance's reuse count when it accepted the request (2 = its second request). */
  reuseIndex: number;
  method: string;
  uri: string;
  /** The request's headers as the client sent them (values as latin1 text), replayed as they were. */
  requestHeaders: Array<[string, string]>;
  requestBodyBytes: number;
  verdict: LeakVerdict;
  /** Readable differences, reused against fresh; empty unless the verdict is `leak` or `failed-on-reuse`. */
  differences: string[];
  /** Why the answers could not be compared (verdict `error`), or how the reused instance failed (`failed-on-reuse`). */
  message: string | null;
  replayMs: number;
  /**
   * The outgoing requests the reused instance made for the request and the fresh one made for the
   * replay, as their `request.outgoing` events named them, until the answer ended (at most
   * `MAX_LEAK_OUTGOING_CALLS` a side; `*Total` counts them all): an answer built from upstream
   * data an instance kept shows up as calls on the fresh side only. Absent when neither side made
   * one (and in recordings made before).
   */
  outgoing?: { reused: OutgoingCall[]; fresh: OutgoingCall[]; reusedTotal: number; freshTotal: number };
}

export type LeakSkipReason = 'replays-busy' | 'rate-limited' | 'unsafe-method' | 'body-too-large' | 'not-answered';

/** Sampled answers that were not replayed, counted per reason (sent at most about once a second). */
export interface LeakSkipped extends Base {
  type: 'leak.skipped';
  counts: Partial<Record<LeakSkipReason, number>>;
}

export interface Gauges {
  liveInstances: number;
  availableWorkers: number;
  queueDepth: number;
  inFlight: number;
}
export interface GaugesChanged extends Base, Gauges {
  type: 'pool.gauges';
}

export type PoolEvent =
  | RequestReceived
  | RequestDispatched
  | RequestAccepted
  | RequestResponded
  | RequestCompleted
  | RequestExpired
  | RequestFailed
  | RequestOutgoing
  | RequestOutgoingDropped
  | WorkerSpawned
  | WorkerInstantiated
  | WorkerInstantiationFailed
  | WorkerAvailable
  | WorkerUnavailable
  | WorkerStatusChanged
  | WorkerDraining
  | WorkerExit
  | WorkerMemory
  | WorkerMemoryGrowth
  | GuestOutput
  | LeakChecked
  | LeakSkipped
  | GaugesChanged;

export type PoolEventType = PoolEvent['type'];

/** An event as its producer builds it: the bus stamps `t` and `seq`. */
export type PoolEventInit = PoolEvent extends infer E ? (E extends PoolEvent ? Omit<E, 't' | 'seq'> : never) : never;
