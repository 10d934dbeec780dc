/**
 * Lifecycle events: the contract between the engine, the Electron shell and the dashboard.
 * Names follow the recommended schema of the ProxyHandler spec (§10.2).
 * Every event carries `t` (milliseconds on the engine's monotonic clock) and `seq`
 * (a per-engine sequence number), plus the ids that tie it to requests and instances.
 *
 * Schema first: each event is a zod schema and its type is inferred from it, so what the engine
 * sends, what a recording may hold and what the dashboard reads cannot drift apart.
 */
import { z } from 'zod';
import { MAX_LEAK_OUTGOING_CALLS, OUTGOING_TEXT_LIMITS } from './outgoing.ts';

/** Ids, counts and byte sizes. */
const count = z.number().int().nonnegative();
/** Times and durations on the engine's monotonic clock, milliseconds. */
const ms = z.number().nonnegative();

export const worldSchema = z.enum(['wasip2', 'wasip3']);
export type World = z.infer<typeof worldSchema>;

/** Status of an instance, as in wasmtime's `WorkerStatus`. */
export const instanceStatusSchema = z.enum(['Idle', 'Requests', 'PostReturn']);
export type InstanceStatus = z.infer<typeof instanceStatusSchema>;

export const dispatchModeSchema = z.enum(['spawn-direct', 'queued', 'queued-then-spawn']);
export type DispatchMode = z.infer<typeof dispatchModeSchema>;

/**
 * Why a worker started: no worker was available for a new request (wasmtime's fast path), the
 * last available worker went busy with work still queued, or an instance ended and left queued
 * requests that no starting or busy worker can take.
 */
export const spawnReasonSchema = z.enum(['no-available-worker', 'last-available-went-busy', 'queue-without-taker']);
export type SpawnReason = z.infer<typeof spawnReasonSchema>;

/** `executor-stalled`: the instance's executor thread is held by a guest that does not yield. */
export const unavailableWhySchema = z.enum([
  'reuse-limit',
  'concurrency-limit',
  'cpu-busy',
  'backpressure',
  'draining',
  'executor-stalled',
]);
export type UnavailableWhy = z.infer<typeof unavailableWhySchema>;

export const drainCauseSchema = z.enum(['request-expired', 'reuse-exhausted', 'idle-timeout', 'shutdown']);
export type DrainCause = z.infer<typeof drainCauseSchema>;

export const exitCauseSchema = z.enum([
  'drained', // accepted its last request and finished its work
  'idle-timeout', // stayed Idle longer than the idle timeout
  'watchdog', // stalled past the request timeout, or drained and still busy past its drain deadline: killed from outside
  'trap', // the guest trapped (or called wasi:cli/exit): the instance is poisoned
  'instantiation-failed',
  'executor-lost', // the executor thread hosting it died, or was terminated to stop another instance on it
  'worker-crashed', // recordings made before executors: the instance's own thread died
  'shutdown', // the pool was closed
]);
export type ExitCause = z.infer<typeof exitCauseSchema>;

export const failureKindSchema = z.enum([
  'never-set', // p2: handle returned (or trapped) without response-outparam::set
  'guest-error', // the guest answered with an error-code
  'timeout', // layer A expiry or layer B watchdog
  'trap', // the instance died under the request
  'instantiation', // no instance could be created for the request
  'shutdown', // the pool closed before the request was served
  'client-gone', // the HTTP client went away before its response was complete (while sending its body, waiting, or being served)
  'refused', // the front door refused it before the pool saw it (body too large, memory budget)
]);
export type FailureKind = z.infer<typeof failureKindSchema>;

/** Every event's own fields, stamped by the bus. */
const base = { t: ms, seq: count };

export const requestReceivedSchema = z.object({
  type: z.literal('request.received'),
  ...base,
  requestId: count,
  method: z.string(),
  uri: z.string(),
});
export const requestDispatchedSchema = z.object({
  type: z.literal('request.dispatched'),
  ...base,
  requestId: count,
  mode: dispatchModeSchema,
});
export const requestAcceptedSchema = z.object({
  type: z.literal('request.accepted'),
  ...base,
  requestId: count,
  instanceId: count,
  /** Requests in flight on the instance, this one included. */
  inFlight: count,
  /** Requests the instance has accepted in total, this one included (its reuse count). */
  reuseCount: count,
});
export const requestRespondedSchema = z.object({
  type: z.literal('request.responded'),
  ...base,
  requestId: count,
  instanceId: count,
  status: count,
  latencyMs: ms,
});
export const requestCompletedSchema = z.object({
  type: z.literal('request.completed'),
  ...base,
  requestId: count,
  instanceId: count,
  /** Whole time from receipt to the end of the response body. */
  durationMs: ms,
  bodyBytes: count,
});
export const requestExpiredSchema = z.object({
  type: z.literal('request.expired'),
  ...base,
  requestId: count,
  instanceId: count,
  latencyMs: ms,
});
export const requestFailedSchema = z.object({
  type: z.literal('request.failed'),
  ...base,
  requestId: count,
  instanceId: count.nullable(),
  kind: failureKindSchema,
  message: z.string(),
  latencyMs: ms,
});

export const workerSpawnedSchema = z.object({
  type: z.literal('worker.spawned'),
  ...base,
  instanceId: count,
  reason: spawnReasonSchema,
  /** The executor thread hosting the instance (absent in recordings made before executors). */
  executor: count.optional(),
});
export const workerInstantiatedSchema = z.object({
  type: z.literal('worker.instantiated'),
  ...base,
  instanceId: count,
  durationMs: ms,
});
export const workerInstantiationFailedSchema = z.object({
  type: z.literal('worker.instantiation_failed'),
  ...base,
  instanceId: count,
  message: z.string(),
  failedRequests: count,
});
export const workerAvailableSchema = z.object({
  type: z.literal('worker.available'),
  ...base,
  instanceId: count,
});
export const workerUnavailableSchema = z.object({
  type: z.literal('worker.unavailable'),
  ...base,
  instanceId: count,
  why: unavailableWhySchema,
});
export const workerStatusChangedSchema = z.object({
  type: z.literal('worker.status'),
  ...base,
  instanceId: count,
  status: instanceStatusSchema,
});
export const workerDrainingSchema = z.object({
  type: z.literal('worker.draining'),
  ...base,
  instanceId: count,
  cause: drainCauseSchema,
});
export const workerExitSchema = z.object({
  type: z.literal('worker.exit'),
  ...base,
  instanceId: count,
  cause: exitCauseSchema,
  /** Requests this instance accepted over its life. */
  served: count,
  lifetimeMs: ms,
  message: z.string().nullable(),
});
export const workerMemorySchema = z.object({
  type: z.literal('worker.memory'),
  ...base,
  instanceId: count,
  /** Sum of the instance's linear memories, in bytes, after a request finished. */
  bytes: count,
  /** Requests the instance had finished when it was measured (the x axis of its growth curve). */
  requestsDone: count,
});
/** An instance whose memory kept growing with the requests it served (a leaking allocator or cache). */
export const workerMemoryGrowthSchema = z.object({
  type: z.literal('worker.memory_growth'),
  ...base,
  instanceId: count,
  /** Average growth per finished request over the measured span. */
  bytesPerRequest: z.number(),
  fromBytes: count,
  toBytes: count,
  /** Finished requests the span covers. */
  requests: count,
  /** Requests in the span after which memory had grown. */
  growths: count,
});

/** How an outgoing request ended: its response arrived whole, it failed, or the guest let go of it first. */
export const outgoingOutcomeSchema = z.enum(['complete', 'failed', 'dropped']);
export type OutgoingOutcome = z.infer<typeof outgoingOutcomeSchema>;

const l = OUTGOING_TEXT_LIMITS;

/**
 * One outgoing HTTP request of a guest (WASIp2 `outgoing-handler`, WASIp3 `client.send`), reported
 * once it is over: when the upstream's response has fully arrived (`complete`), when it failed at
 * any point (`failed`, `error` set; a request refused before anything was sent, such as
 * `HTTP-request-denied`, is one too), or when the guest let go of it before its response body
 * ended (`dropped`). The host's record of it (host/outgoing) is this type. Texts are bounded (see
 * `OUTGOING_TEXT_LIMITS` in outgoing.ts).
 */
export const outgoingCallSchema = z.strictObject({
  /** As sent: `GET`, `POST`, or the guest's own token. */
  method: z.string().min(1).max(l.method),
  /** `http` or `https` (for a request refused before that was settled, what the guest asked for). */
  scheme: z.string().max(l.scheme),
  /** `host[:port]` as the guest gave it. */
  authority: z.string().max(l.authority),
  /** The path with its query, as sent. */
  path: z.string().max(l.path),
  /** The upstream's status; null when no response head arrived. */
  status: z.number().int().min(0).max(999).nullable(),
  /** From the guest's call to the request's end (response complete, failure, or let go). */
  durationMs: ms,
  outcome: outgoingOutcomeSchema,
  /** What the guest was told (the error-code's tag) and a readable detail; null unless failed. */
  error: z
    .strictObject({ tag: z.string().min(1).max(l.errorTag), detail: z.string().max(l.errorDetail).nullable() })
    .nullable(),
  /** Request body bytes sent upstream, and response body bytes received. */
  requestBytes: count,
  responseBytes: count,
});
export type OutgoingCall = z.infer<typeof outgoingCallSchema>;

/**
 * An instance's outgoing request, when it ended (`t`; it began `durationMs` earlier). At most
 * `MAX_OUTGOING_EVENTS_PER_SECOND` per instance are reported one by one; the rest are counted in
 * `request.outgoing_dropped`.
 */
export const requestOutgoingSchema = outgoingCallSchema.extend({
  type: z.literal('request.outgoing'),
  ...base,
  instanceId: count,
  /**
   * The guest request it was made for: the one request in flight on the instance when it began
   * (always known for WASIp2, which runs one request at a time); null when none or several were
   * (WASIp3 with concurrent requests), since the host cannot tell which of them made it.
   */
  requestId: count.nullable(),
});

/** Outgoing requests of an instance past the per-second bound, counted instead of reported (at most one event a second per instance). */
export const requestOutgoingDroppedSchema = z.strictObject({
  type: z.literal('request.outgoing_dropped'),
  ...base,
  instanceId: count,
  /** Outgoing requests not reported one by one since the previous such event. */
  count: z.number().int().positive(),
  /** How many of those failed. */
  failed: count,
});

export const guestOutputSchema = z.object({
  type: z.literal('guest.output'),
  ...base,
  instanceId: count,
  stream: z.enum(['stdout', 'stderr']),
  line: z.string(),
});

/**
 * What a replay on a fresh instance said about an answer from a reused one: `same` (or both
 * failed), `leak` (the answers differ), `failed-on-reuse` (the reused instance failed — a 5xx, a
 * trap, a cut-off body — where a fresh one answered: a leak too, the plainest kind), `error`
 * (the fresh instance failed where the reused one answered: nothing to compare with).
 */
export const leakVerdictSchema = z.enum(['same', 'leak', 'failed-on-reuse', 'error']);
export type LeakVerdict = z.infer<typeof leakVerdictSchema>;

/** `leak.checked`'s `outgoing`. */
export const leakOutgoingSchema = z.strictObject({
  reused: z.array(outgoingCallSchema).max(MAX_LEAK_OUTGOING_CALLS),
  fresh: z.array(outgoingCallSchema).max(MAX_LEAK_OUTGOING_CALLS),
  reusedTotal: count,
  freshTotal: count,
});

/** A reused instance's answer, replayed on a fresh instance outside the pool and compared. */
export const leakCheckedSchema = z.object({
  type: z.literal('leak.checked'),
  ...base,
  requestId: count,
  instanceId: count,
  /** The instance's reuse count when it accepted the request (2 = its second request). */
  reuseIndex: count,
  method: z.string(),
  uri: z.string(),
  /** The request's headers as the client sent them (values as latin1 text), replayed as they were. */
  requestHeaders: z.array(z.tuple([z.string(), z.string()])),
  requestBodyBytes: count,
  verdict: leakVerdictSchema,
  /** Readable differences, reused against fresh; empty unless the verdict is `leak` or `failed-on-reuse`. */
  differences: z.array(z.string()),
  /** Why the answers could not be compared (verdict `error`), or how the reused instance failed (`failed-on-reuse`). */
  message: z.string().nullable(),
  replayMs: ms,
  /**
   * The outgoing requests the reused instance made for the request and the fresh one made for the
   * replay, as their `request.outgoing` events named them, until the answer ended (at most
   * `MAX_LEAK_OUTGOING_CALLS` a side; `*Total` counts them all): an answer built from upstream
   * data an instance kept shows up as calls on the fresh side only. Absent when neither side made
   * one (and in recordings made before).
   */
  outgoing: leakOutgoingSchema.optional(),
  /** Replays still queued or running after this one (absent in recordings made before the queue). */
  pending: count.optional(),
});

export const leakSkipReasonSchema = z.enum([
  'replays-busy', // recordings made before the replay queue: every slot was busy
  'queue-full', // every slot busy and the replay queue full (`maxQueuedReplays`, `MAX_QUEUED_REPLAY_BYTES`)
  'rate-limited', // recordings made before answers over the replay rate waited in the queue
  'unsafe-method',
  'body-too-large',
  'not-answered',
  'stopped', // still queued when leak detection stopped (turned off, or the pool stopped or changed)
]);
export type LeakSkipReason = z.infer<typeof leakSkipReasonSchema>;

/**
 * Sampled answers of reused instances that were not replayed, counted per reason (sent at most
 * about once a second). Recordings made before the replay queue also counted unsafe methods of
 * first answers.
 */
export const leakSkippedSchema = z.object({
  type: z.literal('leak.skipped'),
  ...base,
  counts: z.partialRecord(leakSkipReasonSchema, count),
  /** Replays queued or running when the report was made (absent in recordings made before the queue). */
  pending: count.optional(),
});

export const gaugesSchema = z.object({
  liveInstances: count,
  availableWorkers: count,
  /** Requests waiting for an instance: queued, or waiting for the instance started for them. */
  queueDepth: count,
  /** Requests accepted by an instance and not finished there. */
  inFlight: count,
  /** Of `queueDepth`, those waiting for the instance started for them (spawn-direct) to start.
   * Absent in recordings made before it existed, when `queueDepth` counted only the queue. */
  waitingForStart: count.optional(),
});
export type Gauges = z.infer<typeof gaugesSchema>;

export const gaugesChangedSchema = gaugesSchema.extend({
  type: z.literal('pool.gauges'),
  ...base,
});

export const poolEventSchema = z.discriminatedUnion('type', [
  requestReceivedSchema,
  requestDispatchedSchema,
  requestAcceptedSchema,
  requestRespondedSchema,
  requestCompletedSchema,
  requestExpiredSchema,
  requestFailedSchema,
  requestOutgoingSchema,
  requestOutgoingDroppedSchema,
  workerSpawnedSchema,
  workerInstantiatedSchema,
  workerInstantiationFailedSchema,
  workerAvailableSchema,
  workerUnavailableSchema,
  workerStatusChangedSchema,
  workerDrainingSchema,
  workerExitSchema,
  workerMemorySchema,
  workerMemoryGrowthSchema,
  guestOutputSchema,
  leakCheckedSchema,
  leakSkippedSchema,
  gaugesChangedSchema,
]);

export type RequestReceived = z.infer<typeof requestReceivedSchema>;
export type RequestDispatched = z.infer<typeof requestDispatchedSchema>;
export type RequestAccepted = z.infer<typeof requestAcceptedSchema>;
export type RequestResponded = z.infer<typeof requestRespondedSchema>;
export type RequestCompleted = z.infer<typeof requestCompletedSchema>;
export type RequestExpired = z.infer<typeof requestExpiredSchema>;
export type RequestFailed = z.infer<typeof requestFailedSchema>;
export type RequestOutgoing = z.infer<typeof requestOutgoingSchema>;
export type RequestOutgoingDropped = z.infer<typeof requestOutgoingDroppedSchema>;
export type WorkerSpawned = z.infer<typeof workerSpawnedSchema>;
export type WorkerInstantiated = z.infer<typeof workerInstantiatedSchema>;
export type WorkerInstantiationFailed = z.infer<typeof workerInstantiationFailedSchema>;
export type WorkerAvailable = z.infer<typeof workerAvailableSchema>;
export type WorkerUnavailable = z.infer<typeof workerUnavailableSchema>;
export type WorkerStatusChanged = z.infer<typeof workerStatusChangedSchema>;
export type WorkerDraining = z.infer<typeof workerDrainingSchema>;
export type WorkerExit = z.infer<typeof workerExitSchema>;
export type WorkerMemory = z.infer<typeof workerMemorySchema>;
export type WorkerMemoryGrowth = z.infer<typeof workerMemoryGrowthSchema>;
export type GuestOutput = z.infer<typeof guestOutputSchema>;
export type LeakChecked = z.infer<typeof leakCheckedSchema>;
export type LeakSkipped = z.infer<typeof leakSkippedSchema>;
export type GaugesChanged = z.infer<typeof gaugesChangedSchema>;

export type PoolEvent = z.infer<typeof poolEventSchema>;
export type PoolEventType = PoolEvent['type'];

/** An event as its producer builds it: the bus stamps `t` and `seq`. */
export type PoolEventInit = PoolEvent extends infer E ? (E extends PoolEvent ? Omit<E, 't' | 'seq'> : never) : never;
