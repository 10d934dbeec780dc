import { availableParallelism } from 'node:os';
import type { IncomingRequestInit } from '../host/p2/api.ts';
import type { ComponentData } from '../worker/messages.ts';
import type { ResponseFlowBuffers } from '../worker/response-flow.ts';
import { Executor, type InstanceOwner } from './executor.ts';

/** Executors started by default: one per core the process may use. */
export function defaultExecutorCount(): number {
  return availableParallelism();
}

/** An executor whose event loop has not turned for this long is held by a guest (see `place`). */
const STALL_MS = 1000;
/**
 * After an instance was interrupted, how long its executor may take to confirm the instance is
 * gone before the whole executor is terminated (the last resort). Added to the request timeout:
 * until that much time has passed, another instance's legitimate work may be what keeps the
 * executor busy (each instance's own watchdog bounds that).
 */
export const KILL_GRACE_MS = 2000;

/** One instance placed on an executor: how the pool worker talks to it. */
export class PlacedInstance {
  readonly executor: Executor;
  readonly hostId: number;
  readonly #interrupt: Int32Array;
  #escalation: NodeJS.Timeout | undefined;

  constructor(executor: Executor, hostId: number, interrupt: SharedArrayBuffer) {
    this.executor = executor;
    this.hostId = hostId;
    this.#interrupt = new Int32Array(interrupt);
  }

  request(requestId: number, init: IncomingRequestInit, flow: ResponseFlowBuffers | undefined): void {
    this.executor.request(this.hostId, requestId, init, flow);
  }

  /** A clean exit: the executor drops the instance and answers `disposed`. */
  dispose(): void {
    this.executor.dispose(this.hostId);
  }

  /**
   * Stops the instance whatever it is doing: its interrupt cell makes running guest code throw at
   * its next fuel check (wasmtime's epoch interruption), and `dispose` unwinds it if it is
   * suspended. If the executor has not confirmed within `graceMs`, it is terminated with every
   * instance on it (they are reported lost). Calls `confirmed` when the instance is gone.
   */
  kill(graceMs: number): void {
    Atomics.store(this.#interrupt, 0, 1);
    this.executor.dispose(this.hostId);
    this.#escalation ??= setTimeout(() => {
      this.executor.terminate(
        `executor ${this.executor.id} was terminated: an instance on it did not stop within ${graceMs} ms of being interrupted`,
      );
    }, graceMs);
    this.#escalation.unref();
  }

  /** The instance is gone (its `disposed` arrived, or its executor died): nothing to escalate. */
  settled(): void {
    clearTimeout(this.#escalation);
    this.#escalation = undefined;
  }
}

/**
 * A fixed set of executor threads shared by every instance of one component (and by the leak
 * detector's private pool). New instances go to the least-loaded executor; one held by a guest
 * that never yields is skipped, and when all are held, spare executors are started, at most as
 * many again. A dead executor is replaced.
 */
export class ExecutorPool {
  readonly #data: ComponentData;
  readonly #executors: Executor[] = [];
  readonly #count: number;
  #nextExecutorId = 0;
  #nextHostId = 0;
  #closed = false;
  #cursor = 0;

  constructor(data: ComponentData, count = defaultExecutorCount()) {
    if (!Number.isSafeInteger(count) || count < 1) throw new Error(`executors must be a whole number of at least 1, got ${count}`);
    this.#data = data;
    this.#count = count;
    for (let i = 0; i < count; i++) this.#start();
  }

  /** Executors now, spares and replacements included. */
  get executors(): readonly Executor[] {
    return this.#executors;
  }

  /** Resolves once every executor has loaded the component's glue; rejects if one could not. */
  async ready(): Promise<void> {
    await Promise.all(this.#executors.map((executor) => executor.ready));
  }

  place(owner: InstanceOwner, env: Array<[string, string]>): PlacedInstance {
    const executor = this.#choose();
    const interrupt = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
    const placed = new PlacedInstance(executor, this.#nextHostId++, interrupt);
    executor.host(
      placed.hostId,
      {
        onMessage: (message) => {
          if (message.type === 'disposed') placed.settled();
          owner.onMessage(message);
        },
        onLost: (message) => {
          placed.settled();
          owner.onLost(message);
        },
      },
      env,
      interrupt,
    );
    return placed;
  }

  close(): void {
    this.#closed = true;
    for (const executor of this.#executors.splice(0)) executor.terminate('the pool shut down');
  }

  #choose(): Executor {
    if (this.#executors.length === 0) this.#start();
    const now = performance.now();
    const free = this.#executors.filter((executor) => !executor.stalled(now, STALL_MS));
    if (free.length === 0 && this.#executors.length < 2 * this.#count) return this.#start();
    const candidates = free.length > 0 ? free : this.#executors;
    // Least loaded; ties go round-robin, so instances started one after another spread out.
    let best: Executor | undefined;
    for (let i = 0; i < candidates.length; i++) {
      const executor = candidates[(this.#cursor + i) % candidates.length]!;
      if (!best || executor.load < best.load) best = executor;
    }
    this.#cursor = (candidates.indexOf(best!) + 1) % candidates.length;
    return best!;
  }

  #start(): Executor {
    const executor = new Executor(this.#nextExecutorId++, this.#data, (dead) => this.#replace(dead));
    this.#executors.push(executor);
    return executor;
  }

  #replace(dead: Executor): void {
    const at = this.#executors.indexOf(dead);
    if (at < 0 || this.#closed) return;
    this.#executors.splice(at, 1);
    if (this.#executors.length < this.#count) this.#start();
  }
}
