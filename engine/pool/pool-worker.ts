import {
  boundMessage,
  type DrainCause,
  type FailureKind,
  type InstanceStatus,
  type UnavailableWhy,
} from '../../protocol/index.ts';
import type { FromInstance } from '../thread/messages.ts';
import { atDeadline, type PoolTimer } from './clock.ts';
import { KILL_GRACE_MS } from './executor-pool.ts';
import type { HostedInstance } from './instance-host.ts';
import { OpenResponses, reportFailure } from './open-responses.ts';
import { OutgoingEvents } from './outgoing-events.ts';
import { drainDeadline, expirationDeadline, shouldAcceptRequest } from './policy.ts';
import { NEVER_SET_MESSAGE, TIMED_OUT_MESSAGE, type PoolRequest } from './request.ts';
import type { WorkerContext } from './worker-context.ts';

interface InFlight {
  request: PoolRequest;
  acceptedAt: number;
  /** Layer A (per-request) expiry; WASIp3 only, see `#armRequestExpiry`. */
  expiry: PoolTimer | undefined;
}

type Phase = 'starting' | 'running' | 'exiting' | 'exited';

/**
 * One pool worker: one guest instance, placed on one of the pool's executor threads, and the
 * state machine of wasmtime's `Worker::run` (spec §3.4–3.7), driven by events instead of polls.
 * `#pump` is the inner loop's poll (steps 2–8); messages from the instance play step 1; the
 * watchdog timer is the outer loop.
 */
export class PoolWorker {
  readonly id: number;
  readonly #ctx: WorkerContext;
  readonly #createdAt: number;
  #initial: PoolRequest | null;
  #placed: HostedInstance | undefined;
  #phase: Phase = 'starting';

  #available = false;
  #unavailableWhy: UnavailableWhy | null = null;
  #reuseCount = 0;
  #mayAccept = true;
  /** Requests that expired while their handler ran on: their `returned` is still to come. */
  readonly #abandoned = new Set<number>();
  /** Requests accepted whose handler has not finished (wasmtime's `futures`). */
  readonly #inFlight = new Map<number, InFlight>();
  /** Responses not finished yet (settling and streaming), by request id. */
  readonly #responses: OpenResponses;
  /** The instance's outgoing requests as events, bounded per second. */
  readonly #outgoing: OutgoingEvents;
  /** Null until instantiated. */
  #status: InstanceStatus | null = null;
  #announcedStatus: InstanceStatus | null = null;
  #statusAnnounced = false;
  #statusSince: number;
  #watchdog: PoolTimer | undefined;
  /** When the worker was first drained with no client waiting on it (see `#noteDrained`); null before. */
  #drainedSince: number | null = null;
  /** Kills a drained worker that does not exit by itself (see `#noteDrained`). */
  #drainTimer: PoolTimer | undefined;
  #lastMemoryBytes = -1;
  /** Requests whose `handle` returned: the x axis of the memory-growth curve. */
  #returnedCount = 0;
  /** wasmtime's `accept_concurrent`: false from an accept until the guest yields (spec §3.6). */
  #acceptConcurrent = true;
  /** WASIp3 guest activity that outlives `handle`: keeps the instance in PostReturn. */
  #pendingTasks = 0;
  /** wasmtime's `poll_ready_for_concurrent_call`: false while the guest holds backpressure. */
  #guestReady = true;
  #exitCause: 'drained' | 'idle-timeout' = 'drained';

  constructor(ctx: WorkerContext, id: number, initial: PoolRequest | null) {
    this.#ctx = ctx;
    this.id = id;
    this.#initial = initial;
    this.#createdAt = ctx.clock.now();
    this.#responses = new OpenResponses(ctx.bus, ctx.clock, id, () => this.#noteDrained());
    this.#outgoing = new OutgoingEvents(ctx.bus, id);
    this.#statusSince = this.#createdAt;
  }

  get available(): boolean {
    return this.#available;
  }

  get inFlightCount(): number {
    return this.#inFlight.size;
  }

  /** 1 while the request this worker was started for waits for the instance to start, else 0. */
  get waitingForStart(): number {
    return this.#phase === 'starting' && this.#initial ? 1 : 0;
  }

  /**
   * Requests this worker will accept soon without anyone's help: while it starts, or while it is
   * unavailable only until its guest yields (`cpu-busy`). Zero otherwise. See
   * `ProxyHandler.#comingCapacity` for why the pool counts it.
   */
  get comingCapacity(): number {
    const knobs = this.#ctx.knobs;
    if (!this.#mayAccept) return 0;
    if (this.#phase === 'starting') {
      const reserved = this.#initial ? 1 : 0;
      return Math.max(0, Math.min(knobs.maxInstanceConcurrentReuseCount, knobs.maxInstanceReuseCount) - reserved);
    }
    if (this.#phase === 'running' && this.#unavailableWhy === 'cpu-busy') {
      return Math.max(
        0,
        Math.min(
          knobs.maxInstanceConcurrentReuseCount - this.#inFlight.size,
          knobs.maxInstanceReuseCount - this.#reuseCount,
        ),
      );
    }
    return 0;
  }

  /** Places the instance on an executor and starts instantiating it; returns the executor's id. */
  start(): number {
    this.#placed = this.#ctx.instances.place(
      {
        onMessage: (message) => this.#onMessage(message),
        onLost: (message) =>
          this.#kill('executor-lost', message, 'trap', `the instance was lost with its executor: ${message}`),
      },
      [...this.#ctx.env, ['INSTANCE_ID', String(this.id)]],
    );
    return this.#placed.executorId;
  }

  /** The placed instance: requests and clean exits come only after `start()` placed it. */
  #hosted(): HostedInstance {
    if (!this.#placed) throw new Error(`instance ${this.id} used before it was placed on an executor`);
    return this.#placed;
  }

  /** Called when the queue may have work for an available worker, or the knobs changed. */
  wake(): void {
    if (this.#phase === 'running') this.#pump();
  }

  knobsChanged(): void {
    // The drain deadline also bounds an exiting worker (see `#noteDrained`).
    this.#armDrainTimer();
    if (this.#phase !== 'running') return;
    for (const entry of this.#inFlight.values()) this.#armRequestExpiry(entry);
    this.#armWatchdog();
    this.#pump();
  }

  /** Graceful shutdown: accept nothing more; exit once the current work is done. */
  drain(): void {
    if (this.#phase === 'starting' && !this.#initial) {
      this.#kill('shutdown', null, 'shutdown', 'the pool shut down');
      return;
    }
    this.#stopAccepting('shutdown');
    this.wake();
  }

  /** Immediate stop: whatever is in flight fails. */
  terminate(): void {
    this.#kill('shutdown', null, 'shutdown', 'the pool shut down');
  }

  #onMessage(message: FromInstance): void {
    switch (message.type) {
      case 'instantiated':
        this.#onInstantiated(message.durationMs, message.memoryBytes);
        break;
      case 'instantiate-failed':
        this.#onInstantiateFailed(message.message);
        break;
      case 'output':
        this.#ctx.bus.emit({ type: 'guest.output', instanceId: this.id, stream: message.stream, line: message.line });
        break;
      case 'outgoing':
        // After the exit (a killed instance's requests let go on its executor) nobody is told:
        // an instance's events end with its `worker.exit`.
        if (this.#phase !== 'exited') this.#outgoing.report(message.requestId, message.call);
        break;
      case 'head':
        this.#responses.respond(message.requestId, message.status, message.headers);
        break;
      case 'guest-error':
        this.#responses.fail(message.requestId, 'guest-error', `guest returned an error: ${message.message}`);
        break;
      case 'chunk':
        this.#responses.chunk(message.requestId, message.bytes);
        break;
      case 'end':
        this.#responses.end(message.requestId, message.trailers);
        break;
      case 'abort':
        this.#responses.abort(message.requestId, message.message);
        break;
      case 'returned':
        this.#onReturned(message.requestId, message.memoryBytes);
        break;
      case 'yielded':
        this.#acceptConcurrent = true;
        this.wake();
        break;
      case 'tasks':
        this.#pendingTasks = message.pending;
        this.wake();
        break;
      case 'ready':
        this.#guestReady = message.ready;
        this.wake();
        break;
      case 'trapped':
        this.#kill('trap', message.message, 'trap', this.#trapMessage(message.message));
        break;
      case 'disposed':
        this.#onDisposed();
        break;
    }
  }

  #onInstantiated(durationMs: number, memoryBytes: number): void {
    if (this.#phase !== 'starting') return;
    this.#phase = 'running';
    this.#ctx.bus.emit({ type: 'worker.instantiated', instanceId: this.id, durationMs });
    // What the instance costs from the start (its linear memories), before any request.
    this.#lastMemoryBytes = memoryBytes;
    this.#ctx.bus.emit({ type: 'worker.memory', instanceId: this.id, bytes: memoryBytes, requestsDone: 0 });
    this.#setStatus('Idle', this.#ctx.clock.now());
    const initial = this.#initial;
    this.#initial = null;
    // The initial item bypasses shouldAcceptRequest, as in wasmtime.
    if (initial) this.#accept(initial);
    this.#pump();
  }

  #onInstantiateFailed(rawMessage: string): void {
    if (this.#phase !== 'starting') return;
    const message = boundMessage(rawMessage);
    // A worker started for a request fails just that one; one started to serve the queue fails
    // every queued request (spec §3.4).
    const failed = this.#initial ? [this.#initial] : this.#ctx.takeAllQueued();
    this.#initial = null;
    this.#ctx.bus.emit({
      type: 'worker.instantiation_failed',
      instanceId: this.id,
      message,
      failedRequests: failed.length,
    });
    for (const request of failed) {
      reportFailure(this.#ctx.bus, this.#ctx.clock, request, null, 'instantiation', `instantiation error: ${message}`);
    }
    this.#placed?.dispose();
    this.#finishExit('instantiation-failed', message);
  }

  /** Steps 2–8 of the inner loop (spec §3.5), run after anything that may change the answer. */
  #pump(): void {
    while (this.#phase === 'running') {
      const why = this.#whyUnavailable();
      this.#setAvailable(why === null, why);
      if (!this.#available) break;
      const next = this.#ctx.takeQueued();
      if (!next) break;
      this.#accept(next);
    }
    if (this.#phase !== 'running' || this.#inFlight.size > 0) return;
    // Expired handlers still running on the instance are post-return work too (spec §5.2): the
    // watchdog ends them a request timeout later, interrupting the guest if it never returns.
    if (this.#pendingTasks > 0 || this.#abandoned.size > 0) {
      this.#setStatus('PostReturn', this.#ctx.clock.now());
      return;
    }
    // Step 7: nothing in flight and nothing more to take (drained, or a guest holding
    // backpressure with no work, which is how a guest opts out of further reuse).
    if (!this.#mayAccept || !this.#guestReady) {
      this.#beginCleanExit('drained');
      return;
    }
    this.#setStatus('Idle', this.#ctx.clock.now());
  }

  #whyUnavailable(): UnavailableWhy | null {
    if (!this.#mayAccept) return 'draining';
    if (!this.#guestReady) return 'backpressure';
    // Work handed to an instance whose executor a guest holds would wait for that guest: leave
    // it to another instance (the pool starts one if none is available).
    if (this.#placed?.stalled()) return 'executor-stalled';
    switch (shouldAcceptRequest(this.#ctx.knobs, this.#inFlight.size, this.#reuseCount)) {
      case 'never':
        this.#stopAccepting('reuse-exhausted');
        return 'reuse-limit';
      case 'no':
        return 'concurrency-limit';
      case 'yes':
        // Take on more concurrent work only once the guest is waiting on I/O: a CPU-bound request
        // is better left to another instance (spec §3.6, "start worker tasks aggressively").
        return this.#inFlight.size > 0 && !this.#acceptConcurrent ? 'cpu-busy' : null;
    }
  }

  #accept(request: PoolRequest): void {
    this.#reuseCount++;
    this.#acceptConcurrent = false;
    const acceptedAt = this.#ctx.clock.now();
    const entry: InFlight = { request, acceptedAt, expiry: undefined };
    this.#inFlight.set(request.id, entry);
    this.#responses.add(request);
    this.#ctx.bus.emit({
      type: 'request.accepted',
      requestId: request.id,
      instanceId: this.id,
      inFlight: this.#inFlight.size,
      reuseCount: this.#reuseCount,
    });
    this.#setStatus('Requests', acceptedAt);
    this.#armRequestExpiry(entry);
    this.#hosted().request(request.id, request.init, this.#responses.flow(request.id));
    this.#ctx.gaugesChanged();
  }

  #onReturned(requestId: number, memoryBytes: number): void {
    if (this.#abandoned.delete(requestId)) {
      this.#pump();
      return;
    }
    const entry = this.#inFlight.get(requestId);
    if (!entry) return;
    this.#finishInFlight(entry);
    if (!this.#responses.isSettled(requestId)) this.#responses.fail(requestId, 'never-set', NEVER_SET_MESSAGE);
    // A WASIp2 body must be finished by the time `handle` returns; a WASIp3 body streams on as
    // post-return work.
    else if (this.#ctx.world === 'wasip2')
      this.#responses.abort(requestId, 'guest returned without finishing the response body');
    this.#returnedCount++;
    // Sizes are reported when they change: with `requestsDone`, that is the size after every request.
    if (memoryBytes !== this.#lastMemoryBytes) {
      this.#lastMemoryBytes = memoryBytes;
      this.#ctx.bus.emit({
        type: 'worker.memory',
        instanceId: this.id,
        bytes: memoryBytes,
        requestsDone: this.#returnedCount,
      });
    }
    this.#pump();
  }

  /** Removes a request from the in-flight set (it returned or expired) and updates the status. */
  #finishInFlight(entry: InFlight): void {
    entry.expiry?.cancel();
    this.#inFlight.delete(entry.request.id);
    let newest = -Infinity;
    for (const other of this.#inFlight.values()) newest = Math.max(newest, other.acceptedAt);
    if (this.#inFlight.size > 0) this.#setStatus('Requests', newest);
    // Until the pump decides between Idle and exit, the instance is between requests.
    else this.#setStatus('PostReturn', this.#ctx.clock.now(), false);
    this.#ctx.gaugesChanged();
  }

  /**
   * Layer A, the per-request expiry (spec §5.1). Only for WASIp3: a WASIp2 instance runs one
   * `handle` at a time, so its request's expiry is the watchdog's (layer B) business.
   */
  #armRequestExpiry(entry: InFlight): void {
    entry.expiry?.cancel();
    const timeout = this.#ctx.knobs.requestTimeoutMs;
    if (timeout === null || this.#ctx.world !== 'wasip3') return;
    entry.expiry = atDeadline(this.#ctx.clock, entry.acceptedAt + timeout, () => this.#expire(entry));
  }

  /** Expires every in-flight request whose layer-A deadline has passed; true if any did. */
  #expireDue(): boolean {
    const timeout = this.#ctx.knobs.requestTimeoutMs;
    if (timeout === null || this.#ctx.world !== 'wasip3') return false;
    const now = this.#ctx.clock.now();
    const due = [...this.#inFlight.values()].filter((entry) => entry.acceptedAt + timeout <= now);
    for (const entry of due) this.#expire(entry);
    return due.length > 0;
  }

  #expire(entry: InFlight): void {
    if (!this.#inFlight.has(entry.request.id)) return;
    this.#abandoned.add(entry.request.id);
    this.#finishInFlight(entry);
    this.#ctx.bus.emit({
      type: 'request.expired',
      requestId: entry.request.id,
      instanceId: this.id,
      latencyMs: this.#ctx.clock.now() - entry.request.receivedAt,
    });
    this.#responses.fail(entry.request.id, 'timeout', TIMED_OUT_MESSAGE);
    this.#stopAccepting('request-expired');
    this.#pump();
  }

  #stopAccepting(cause: DrainCause): void {
    if (!this.#mayAccept) return;
    this.#mayAccept = false;
    this.#ctx.bus.emit({ type: 'worker.draining', instanceId: this.id, cause });
    this.#noteDrained();
  }

  /**
   * The drain deadline (policy.ts, `drainDeadline`). A draining worker exits when its last handler
   * returns, its post-return work ends and its executor confirms the disposal; with no request
   * timeout, nothing bounded any of these once its clients were answered or had left (a handler
   * still running for a client that timed out, a body the guest never finishes, a disposal never
   * confirmed). From the moment the worker is drained and no client waits on it, it has until the
   * deadline to exit by itself; then it is killed, as the watchdog kills a stalled one. Called
   * whenever one of those conditions may have become true.
   */
  #noteDrained(): void {
    if (this.#drainedSince !== null) return;
    const drained =
      this.#phase === 'exiting' || (this.#phase === 'running' && !this.#mayAccept && this.#responses.size === 0);
    if (!drained) return;
    this.#drainedSince = this.#ctx.clock.now();
    this.#armDrainTimer();
  }

  #armDrainTimer(): void {
    this.#drainTimer?.cancel();
    this.#drainTimer = undefined;
    const since = this.#drainedSince;
    if (since === null || (this.#phase !== 'running' && this.#phase !== 'exiting')) return;
    // A knob change re-arms it (`knobsChanged`): the deadline follows the request timeout.
    const deadline = drainDeadline(this.#ctx.knobs, since);
    this.#drainTimer = atDeadline(this.#ctx.clock, deadline, () => {
      const message = this.#drainOverdueMessage(deadline - since);
      this.#kill('watchdog', message, 'timeout', message);
    });
  }

  /** What still held the drained instance when its deadline passed, for `worker.exit`. */
  #drainOverdueMessage(heldMs: number): string {
    const holding: string[] = [];
    if (this.#phase === 'exiting') holding.push('its executor never confirmed the disposal');
    if (this.#inFlight.size > 0) holding.push(`${this.#inFlight.size} handler(s) never returned`);
    if (this.#abandoned.size > 0) holding.push(`${this.#abandoned.size} expired handler(s) never returned`);
    if (this.#pendingTasks > 0) holding.push(`${this.#pendingTasks} guest task(s) or response bodies never ended`);
    return `drained instance still busy ${heldMs} ms after its last client was answered (${holding.join('; ') || 'nothing reported'}): killed`;
  }

  #setAvailable(available: boolean, why: UnavailableWhy | null): void {
    if (available === this.#available && why === this.#unavailableWhy) return;
    const changed = available !== this.#available;
    this.#available = available;
    this.#unavailableWhy = why;
    if (available) this.#ctx.bus.emit({ type: 'worker.available', instanceId: this.id });
    else if (why) this.#ctx.bus.emit({ type: 'worker.unavailable', instanceId: this.id, why });
    if (changed) this.#ctx.availabilityChanged(this, available);
  }

  /**
   * `since` is the newest acceptance for Requests, the entry time for Idle and PostReturn (spec
   * §2.4): re-entering Idle or PostReturn keeps the original time. `announce` is false for the
   * passing PostReturn between a request's end and the pump's verdict, which nobody needs to see.
   */
  #setStatus(status: InstanceStatus, since: number, announce = true): void {
    const changed = status !== this.#status;
    if (!changed && status !== 'Requests') {
      if (announce && !this.#statusAnnounced) this.#announceStatus();
      return;
    }
    this.#status = status;
    this.#statusSince = since;
    this.#statusAnnounced = false;
    if (announce) this.#announceStatus();
    this.#armWatchdog();
  }

  #announceStatus(): void {
    if (this.#status !== null && this.#announcedStatus !== this.#status) {
      this.#announcedStatus = this.#status;
      this.#ctx.bus.emit({ type: 'worker.status', instanceId: this.id, status: this.#status });
    }
    this.#statusAnnounced = true;
  }

  /** Layer B, the outer watchdog (spec §3.7): lives on the main thread, so a stalled guest cannot stop it. */
  #armWatchdog(): void {
    this.#watchdog?.cancel();
    this.#watchdog = undefined;
    if (this.#phase !== 'running' || this.#status === null) return;
    const deadline = expirationDeadline(this.#ctx.knobs, this.#status, this.#statusSince);
    if (deadline === null) return;
    this.#watchdog = atDeadline(this.#ctx.clock, deadline, () => {
      // As in wasmtime, in-flight requests are looked at first: an expiry due now is layer A's
      // (fail that request, drain) and moves the worker to PostReturn, re-arming this timer.
      if (this.#expireDue()) return;
      if (this.#status === 'Idle') {
        this.#stopAccepting('idle-timeout');
        this.#beginCleanExit('idle-timeout');
      } else {
        this.#kill('watchdog', TIMED_OUT_MESSAGE, 'timeout', TIMED_OUT_MESSAGE);
      }
    });
  }

  #trapMessage(trap: string): string {
    return this.#ctx.world === 'wasip2' ? `${NEVER_SET_MESSAGE}: ${trap}` : `worker trapped or panicked: ${trap}`;
  }

  /** A clean exit: the executor drops the instance and confirms with `disposed`. */
  #beginCleanExit(cause: 'drained' | 'idle-timeout'): void {
    if (this.#phase !== 'running') return;
    this.#phase = 'exiting';
    this.#exitCause = cause;
    this.#watchdog?.cancel();
    this.#setAvailable(false, 'draining');
    this.#hosted().dispose();
    // A disposal the executor never confirms (one held by another instance's guest) must not
    // keep this instance counted forever.
    this.#noteDrained();
  }

  #onDisposed(): void {
    if (this.#phase !== 'exiting') return;
    this.#finishExit(this.#exitCause, null);
  }

  /**
   * Ends the instance now: every outstanding request fails and the instance is interrupted on its
   * executor (unless the executor is what was lost), which goes on serving its other instances.
   */
  #kill(
    cause: 'watchdog' | 'trap' | 'executor-lost' | 'shutdown',
    message: string | null,
    failKind: FailureKind,
    failMessage: string,
  ): void {
    if (this.#phase === 'exited') return;
    const initial = this.#initial;
    this.#initial = null;
    if (initial) reportFailure(this.#ctx.bus, this.#ctx.clock, initial, this.id, failKind, failMessage);
    for (const entry of this.#inFlight.values()) entry.expiry?.cancel();
    this.#inFlight.clear();
    this.#responses.failAll(
      failKind,
      failMessage,
      cause === 'trap' && message !== null ? `guest trapped after sending the response head: ${message}` : failMessage,
    );
    // At shutdown nobody's work on the executor matters any more; otherwise another instance's
    // legitimate work (bounded by its own request timeout) may be what delays the confirmation.
    const grace = cause === 'shutdown' ? KILL_GRACE_MS : (this.#ctx.knobs.requestTimeoutMs ?? 0) + KILL_GRACE_MS;
    if (cause !== 'executor-lost') this.#placed?.kill(grace);
    this.#finishExit(cause, message);
  }

  #finishExit(cause: Parameters<WorkerContext['workerExited']>[1], message: string | null): void {
    this.#phase = 'exited';
    this.#watchdog?.cancel();
    this.#drainTimer?.cancel();
    this.#setAvailable(false, 'draining');
    this.#outgoing.flush();
    this.#ctx.bus.emit({
      type: 'worker.exit',
      instanceId: this.id,
      cause,
      served: this.#reuseCount,
      lifetimeMs: this.#ctx.clock.now() - this.#createdAt,
      message: message === null ? null : boundMessage(message),
    });
    this.#ctx.workerExited(this, cause);
  }
}
