import type { LoadedComponent } from '../component/load.ts';
import { EventBus } from '../events/event-bus.ts';
import {
  applyKnobsPatch,
  defaultKnobs,
  effectiveKnobs,
  type ExitCause,
  type Gauges,
  type PoolKnobs,
  type SpawnReason,
  type World,
} from '../../protocol/index.ts';
import { PoolWorker } from './pool-worker.ts';
import { reportFailure } from './open-responses.ts';
import { CLIENT_GONE_MESSAGE, type PoolRequest } from './request.ts';
import { ExecutorPool } from './executor-pool.ts';
import { systemClock, type PoolClock } from './clock.ts';
import type { InstanceHost } from './instance-host.ts';
import type { WorkerContext } from './worker-context.ts';
import type { ComponentData } from '../thread/messages.ts';

interface CommonOptions {
  knobs?: Partial<PoolKnobs>;
  bus?: EventBus;
  /** Extra environment variables for every instance. */
  env?: Array<[string, string]>;
  /** Time and timers. Absent: the bus's clock and Node's timers. */
  clock?: PoolClock;
}

/** A pool whose instances run on executor threads: every pool the engine makes. */
export interface ExecutorPoolOptions extends CommonOptions {
  component: LoadedComponent;
  allowOutgoingHttp?: boolean;
  /** Executor threads to host the instances on, shared with whoever made them (who closes them).
   * Absent: the pool starts its own, `executorCount` of them (default one per core). */
  executors?: ExecutorPool;
  executorCount?: number;
}

/** A pool whose instances run on another host: a unit test's stand-in for the threads. */
export interface HostedPoolOptions extends CommonOptions {
  world: World;
  instances: InstanceHost;
}

export type ProxyHandlerOptions = ExecutorPoolOptions | HostedPoolOptions;

/**
 * The pool: wasmtime's `ProxyHandler` (spec §3). Requests go straight to a new worker when none is
 * available (the fast path), otherwise into a FIFO queue that available workers drain. Workers are
 * started aggressively: whenever the last available one goes busy with work still queued.
 */
export class ProxyHandler implements WorkerContext {
  readonly world: World;
  readonly bus: EventBus;
  readonly clock: PoolClock;
  readonly instances: InstanceHost;
  /** The executor threads the instances run on; null on another host. */
  readonly #executors: ExecutorPool | null;
  readonly #ownsExecutors: boolean;
  readonly env: ReadonlyArray<[string, string]>;
  #knobs: PoolKnobs;
  readonly #queue: PoolRequest[] = [];
  #availableCount = 0;
  readonly #workers = new Set<PoolWorker>();
  #nextInstanceId = 0;
  #nextRequestId = 0;
  #gaugesPending = false;
  #lastGauges = '';
  #settledWaiters: Array<() => void> = [];

  constructor(options: ProxyHandlerOptions) {
    this.world = 'component' in options ? options.component.world : options.world;
    this.bus = options.bus ?? new EventBus();
    const bus = this.bus;
    this.clock = options.clock ?? systemClock(() => bus.now());
    this.env = options.env ?? [];
    const patch = applyKnobsPatch(defaultKnobs(this.world), options.knobs ?? {});
    if (!patch.ok) throw new Error(patch.error);
    this.#knobs = patch.knobs;
    if ('component' in options) {
      this.#ownsExecutors = options.executors === undefined;
      this.#executors =
        options.executors ?? executorsFor(options.component, options.allowOutgoingHttp ?? false, options.executorCount);
      this.instances = this.#executors;
    } else {
      this.#ownsExecutors = false;
      this.#executors = null;
      this.instances = options.instances;
    }
  }

  /** The executor threads the instances run on. Only a pool on another host (a unit test's) has none. */
  get executors(): ExecutorPool {
    if (!this.#executors) throw new Error('this pool runs its instances on an injected host, not on executors');
    return this.#executors;
  }

  /** The knobs in force (WASIp2's concurrency is always 1, whatever was asked). */
  get knobs(): PoolKnobs {
    return effectiveKnobs(this.world, this.#knobs);
  }

  /** The knobs as set, before the world's clamping. */
  get requestedKnobs(): PoolKnobs {
    return { ...this.#knobs };
  }

  /** Validates and applies a knob change to every worker at once. */
  setKnobs(patch: unknown): { ok: true; knobs: PoolKnobs } | { ok: false; error: string } {
    const result = applyKnobsPatch(this.#knobs, patch);
    if (!result.ok) return result;
    this.#knobs = result.knobs;
    for (const worker of this.#workers) worker.knobsChanged();
    // A raised instance cap may let waiting requests start an instance now.
    if (this.#availableCount === 0 && this.#queue.length > this.#comingCapacity())
      this.#spawnForQueue('queue-without-taker');
    return { ok: true, knobs: this.knobs };
  }

  newRequestId(): number {
    return this.#nextRequestId++;
  }

  /** wasmtime's `handle` (spec §3.1). The request is settled through its responder, exactly once. */
  handle(request: PoolRequest): void {
    if (this.#availableCount === 0 && this.#queue.length >= this.#comingCapacity() && this.#belowInstanceCap()) {
      this.bus.emit({ type: 'request.dispatched', requestId: request.id, mode: 'spawn-direct' });
      this.#spawn(request, 'no-available-worker');
      return;
    }
    this.#queue.push(request);
    this.bus.emit({ type: 'request.dispatched', requestId: request.id, mode: 'queued' });
    // A client that leaves while its request waits is not served at all: no instance runs it.
    request.responder.onGone?.(() => this.#dropFromQueue(request));
    this.gaugesChanged();
    for (const worker of this.#workers) {
      if (worker.available) {
        worker.wake();
        break;
      }
    }
  }

  /**
   * A request waits from its dispatch until an instance accepts it: in the queue, or as the request
   * a starting instance was started for (spawn-direct), which is in no queue. Both count in
   * `queueDepth`; the latter also in `waitingForStart`. During a burst against a cold pool nearly
   * every request waits the second way, and the gauges read 0 while they did (issue 16).
   */
  gauges(): Gauges {
    let inFlight = 0;
    let waitingForStart = 0;
    for (const worker of this.#workers) {
      inFlight += worker.inFlightCount;
      waitingForStart += worker.waitingForStart;
    }
    return {
      liveInstances: this.#workers.size,
      availableWorkers: this.#availableCount,
      queueDepth: this.#queue.length + waitingForStart,
      inFlight,
      waitingForStart,
    };
  }

  /** Graceful shutdown: serve what was accepted or queued, then let every instance exit. */
  async shutdown(): Promise<void> {
    await this.#until(() => this.#queue.length === 0 && this.gauges().inFlight === 0);
    for (const worker of [...this.#workers]) worker.drain();
    await this.#until(() => this.#workers.size === 0);
    if (this.#ownsExecutors) this.#executors?.close();
  }

  /** Immediate stop: every instance is killed and its requests fail. */
  terminate(): void {
    for (const request of this.takeAllQueued()) request.responder.fail('shutdown', 'the pool shut down');
    for (const worker of [...this.#workers]) worker.terminate();
    if (this.#ownsExecutors) this.#executors?.close();
  }

  // --- WorkerContext ---

  takeQueued(): PoolRequest | undefined {
    const request = this.#queue.shift();
    if (request) this.gaugesChanged();
    return request;
  }

  takeAllQueued(): PoolRequest[] {
    const all = this.#queue.splice(0);
    if (all.length > 0) this.gaugesChanged();
    return all;
  }

  availabilityChanged(_worker: PoolWorker, available: boolean): void {
    if (available) {
      this.#availableCount++;
    } else {
      // Decrement first, then look at the queue: a queued request always has a taker (spec §3.3).
      const previous = this.#availableCount--;
      if (previous === 1 && this.#queue.length > this.#comingCapacity())
        this.#spawnForQueue('last-available-went-busy');
    }
    this.gaugesChanged();
  }

  workerExited(worker: PoolWorker, _cause: ExitCause): void {
    this.#workers.delete(worker);
    // A dying worker may have been counted on to take queued requests: make sure someone will.
    if (this.#availableCount === 0 && this.#queue.length > this.#comingCapacity())
      this.#spawnForQueue('queue-without-taker');
    this.gaugesChanged();
  }

  gaugesChanged(): void {
    if (this.#gaugesPending) return;
    this.#gaugesPending = true;
    queueMicrotask(() => {
      this.#gaugesPending = false;
      const gauges = this.gauges();
      const key = `${gauges.liveInstances}/${gauges.availableWorkers}/${gauges.queueDepth}/${gauges.inFlight}/${gauges.waitingForStart}`;
      if (key !== this.#lastGauges) {
        this.#lastGauges = key;
        this.bus.emit({ type: 'pool.gauges', ...gauges });
      }
      if (this.#settledWaiters.length > 0) for (const waiter of this.#settledWaiters.splice(0)) waiter();
    });
  }

  // ---

  /**
   * Requests that starting or momentarily busy workers will take without help. A deviation from
   * wasmtime, which spawns whenever no worker is available at this instant: there an instance is
   * ready in microseconds, before the next connection is even accepted. Here the front door hands
   * the pool a whole burst in one turn, before the first instantiation can come back from its
   * executor (a round trip of about a millisecond): without this, 50 concurrent clients of the
   * WASIp3 hello start 50 instances where a handful serve them (engine/test/serve-p3.test.ts). It
   * changes nothing for WASIp2 (one request per instance: a starting worker has no spare room).
   * Counting what is already on its way never leaves a queued request without a taker.
   */
  #comingCapacity(): number {
    let capacity = 0;
    for (const worker of this.#workers) capacity += worker.comingCapacity;
    return capacity;
  }

  #dropFromQueue(request: PoolRequest): void {
    const at = this.#queue.indexOf(request);
    if (at < 0) return; // already on an instance: its OpenResponses records the departure
    this.#queue.splice(at, 1);
    reportFailure(
      this.bus,
      this.clock,
      request,
      null,
      'client-gone',
      `${CLIENT_GONE_MESSAGE} (it was still waiting in the queue)`,
    );
    this.gaugesChanged();
  }

  /**
   * The live-instance cap (`maxInstances`, wasmtime's pooling-total-component-instances). Exiting
   * instances count until they are gone: their threads still exist. At the cap, requests wait in
   * the queue; an exit or an available instance takes them.
   */
  #belowInstanceCap(): boolean {
    return this.#workers.size < this.knobs.maxInstances;
  }

  /** Starts an instance for queued work, unless the cap is reached (an exit will try again). */
  #spawnForQueue(reason: SpawnReason): void {
    if (this.#belowInstanceCap()) this.#spawn(null, reason);
  }

  #spawn(initial: PoolRequest | null, reason: SpawnReason): void {
    const worker = new PoolWorker(this, this.#nextInstanceId++, initial);
    this.#workers.add(worker);
    const executor = worker.start();
    this.bus.emit({ type: 'worker.spawned', instanceId: worker.id, reason, executor });
    this.gaugesChanged();
  }

  /** Resolves once `done()` holds, checked whenever the gauges may have moved. */
  #until(done: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (done()) resolve();
        else this.#settledWaiters.push(check);
      };
      check();
    });
  }
}

/** Executors for one component's instances (`filesystem`: what `--dir` preopens for each). */
export function executorsFor(
  component: LoadedComponent,
  allowOutgoingHttp: boolean,
  count?: number,
  filesystem?: ComponentData['filesystem'],
): ExecutorPool {
  return new ExecutorPool(
    {
      moduleUrl: component.moduleUrl,
      coreModules: component.coreModules,
      world: component.world,
      handlerInterface: component.handlerInterface,
      allowOutgoingHttp,
      ...(filesystem ? { filesystem } : {}),
    },
    count,
  );
}
