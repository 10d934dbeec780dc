import { availableParallelism } from 'node:os';
import type { IncomingRequestInit } from '../../base/http-exchange.ts';
import type { ComponentData } from '../thread/messages.ts';
import type { ResponseFlowBuffers } from '../thread/response-flow.ts';
import { Executor } from './executor.ts';
import type { HostedInstance, InstanceHost, InstanceOwner } from './instance-host.ts';

/** Executors started by default: one per core the process may use. */
export function defaultExecutorCount(): number {
  return availableParallelism();
}

/** An executor whose event loop has not turned for this long is held by a guest (see `place`). */
const STALL_MS = 1000;
/**
 * How long an executor may take to confirm that an instance is gone (after a clean `dispose`, or
 * after an interrupt) before the pool looks closer (see `PlacedInstance.kill`).
 */
export const KILL_GRACE_MS = 2000;
/**
 * Fuel checks an interrupted instance may still make before it counts as ignoring the interrupt
 * (a guest that catches the exception and goes on): a stack unwinding through guest cleanup code
 * makes a few; one that keeps running makes hundreds a second.
 */
const CHECKS_AFTER_INTERRUPT = 100;

/** One instance placed on an executor: how the pool worker talks to it. */
export class PlacedInstance implements HostedInstance {
  readonly #executor: Executor;
  readonly hostId: number;
  readonly #interrupt: Int32Array;
  #escalation: NodeJS.Timeout | undefined;
  #settled = false;

  constructor(executor: Executor, hostId: number, interrupt: SharedArrayBuffer) {
    this.#executor = executor;
    this.hostId = hostId;
    this.#interrupt = new Int32Array(interrupt);
  }

  get executorId(): number {
    return this.#executor.id;
  }

  stalled(): boolean {
    return this.#executor.stalled(performance.now(), STALL_MS);
  }

  request(requestId: number, init: IncomingRequestInit, flow: ResponseFlowBuffers | undefined): void {
    this.#executor.request(this.hostId, requestId, init, flow);
  }

  /**
   * A clean exit: the executor drops the instance and answers `disposed`. An instance still running
   * guest code cannot hear that (a WASIp3 guest whose expired request spins on): if no answer comes
   * within the grace, it is interrupted.
   */
  dispose(): void {
    this.#executor.dispose(this.hostId);
    if (this.#escalation || this.#settled) return;
    this.#escalation = setTimeout(() => {
      this.#escalation = undefined;
      this.kill(KILL_GRACE_MS);
    }, KILL_GRACE_MS);
    this.#escalation.unref();
  }

  /**
   * Stops the instance whatever it is doing: its interrupt cell makes running guest code throw at
   * its next fuel check (wasmtime's epoch interruption), and `dispose` unwinds it if it is
   * suspended. The executor is terminated with every instance on it (reported lost) only on
   * evidence that this instance goes on running guest code after the interrupt: its fuel checks
   * keep coming and the executor never confirms. An executor that is slow only because another
   * instance is busy is left alone (that one's own watchdog bounds it).
   */
  kill(graceMs: number): void {
    if (this.#settled) return;
    Atomics.store(this.#interrupt, 0, 1);
    this.#executor.dispose(this.hostId);
    clearTimeout(this.#escalation);
    const checksAtKill = Atomics.load(this.#interrupt, 1);
    const look = (): void => {
      if (this.#settled) return;
      if (Atomics.load(this.#interrupt, 1) - checksAtKill > CHECKS_AFTER_INTERRUPT) {
        this.#executor.terminate(
          `executor ${this.#executor.id} was terminated: an instance on it went on running for ${graceMs} ms after it was interrupted`,
        );
        return;
      }
      this.#escalation = setTimeout(look, graceMs);
      this.#escalation.unref();
    };
    this.#escalation = setTimeout(look, graceMs);
    this.#escalation.unref();
  }

  /** The instance is gone (its `disposed` arrived, or its executor died): nothing to escalate. */
  settled(): void {
    this.#settled = true;
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
export class ExecutorPool implements InstanceHost {
  readonly #data: ComponentData;
  readonly #executors: Executor[] = [];
  readonly #count: number;
  #nextExecutorId = 0;
  #nextHostId = 0;
  #closed = false;
  #cursor = 0;

  constructor(data: ComponentData, count = defaultExecutorCount()) {
    if (!Number.isSafeInteger(count) || count < 1)
      throw new Error(`executors must be a whole number of at least 1, got ${count}`);
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
    const interrupt = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
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
    const live = this.#executors.filter((executor) => !executor.dead);
    if (live.length === 0) return this.#start();
    const now = performance.now();
    const free = live.filter((executor) => !executor.stalled(now, STALL_MS));
    if (free.length === 0 && live.length < 2 * this.#count) return this.#start();
    const candidates = free.length > 0 ? free : live;
    // Least loaded; ties go round-robin, so instances started one after another spread out.
    const start = this.#cursor % candidates.length;
    const rotated = [...candidates.slice(start), ...candidates.slice(0, start)];
    const best = rotated.reduce((a, b) => (b.load < a.load ? b : a));
    this.#cursor = (candidates.indexOf(best) + 1) % candidates.length;
    return best;
  }

  #start(): Executor {
    const executor = new Executor(this.#nextExecutorId++, this.#data, (dead) => this.#replace(dead));
    executor.onIdle = (idle) => this.#retireSpare(idle);
    this.#executors.push(executor);
    if (this.#closed) executor.terminate('the pool shut down');
    return executor;
  }

  /** A spare started while every executor was held goes away once it hosts nothing. */
  #retireSpare(idle: Executor): void {
    if (this.#executors.length <= this.#count) return;
    this.#executors.splice(this.#executors.indexOf(idle), 1);
    idle.terminate('a spare executor retired');
  }

  #replace(dead: Executor): void {
    const at = this.#executors.indexOf(dead);
    if (at < 0 || this.#closed) return;
    this.#executors.splice(at, 1);
    if (this.#executors.length < this.#count) this.#start();
  }
}
