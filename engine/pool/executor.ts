import { Worker } from 'node:worker_threads';
import type { IncomingRequestInit } from '../../base/http-exchange.ts';
import { threadEntry } from '../thread-entry.ts';
import type { ComponentData, ExecutorData, FromExecutor, FromInstance, ToExecutor } from '../thread/messages.ts';
import type { ResponseFlowBuffers } from '../thread/response-flow.ts';
import type { InstanceOwner } from './instance-host.ts';

const EXECUTOR_ENTRY = threadEntry(new URL('../thread/executor-thread.ts', import.meta.url));

/**
 * The main thread's handle on one executor thread. It routes each instance's batches to that
 * instance's owner until the instance says `disposed`, and stays referenced (keeps the process
 * alive) exactly while it hosts an instance: a pool waiting for an instance's goodbye must hear it.
 */
export class Executor {
  readonly id: number;
  readonly #worker: Worker;
  readonly #owners = new Map<number, InstanceOwner>();
  readonly #heartbeat: Int32Array;
  #lastBeat = 0;
  #beatSeenAt: number;
  #dead = false;
  #onDeath: (executor: Executor, message: string) => void;
  /** Called when the executor hosts no instance any more. */
  onIdle: (executor: Executor) => void = () => {};
  /** Settles once the thread imported the component's glue (rejects if it could not). */
  readonly ready: Promise<void>;
  #isReady = false;

  constructor(id: number, data: ComponentData, onDeath: (executor: Executor, message: string) => void) {
    this.id = id;
    this.#onDeath = onDeath;
    const heartbeat = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
    this.#heartbeat = new Int32Array(heartbeat);
    this.#beatSeenAt = performance.now();
    // Guests get no stdin; their stdout/stderr are captured by the host, not the thread's streams.
    this.#worker = new Worker(EXECUTOR_ENTRY, {
      workerData: { ...data, executorId: id, heartbeat } satisfies ExecutorData,
      stdin: false,
      stdout: false,
      stderr: false,
    });
    let settle: { resolve: () => void; reject: (error: Error) => void } | undefined;
    this.ready = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    // Nobody may be waiting yet; a failure is still reported through `host`/`onDeath`.
    this.ready.catch(() => {});
    this.#worker.on('message', (message: FromExecutor) => {
      // A message is as good as a heartbeat: the thread's event loop just turned.
      this.#beatSeenAt = performance.now();
      this.#lastBeat = Atomics.load(this.#heartbeat, 0);
      switch (message.type) {
        case 'executor-ready':
          this.#isReady = true;
          // Until now someone may be waiting for `ready`; from now on an executor keeps the
          // process alive only while it hosts an instance (see `host`).
          if (this.#owners.size === 0) this.#worker.unref();
          settle?.resolve();
          break;
        case 'executor-failed':
          settle?.reject(new Error(`the executor could not load the component's glue: ${message.message}`));
          this.terminate(`the executor could not load the component's glue: ${message.message}`);
          break;
        case 'batch':
          this.#deliver(message.hostId, message.messages);
          break;
      }
    });
    this.#worker.on('error', (error: Error) => {
      settle?.reject(error);
      this.#die(`executor ${id} crashed: ${error.message}`);
    });
    this.#worker.on('exit', (code) => {
      settle?.reject(new Error(`executor ${id} exited (code ${code}) before it was ready`));
      this.#die(`executor ${id} exited unexpectedly (code ${code})`);
    });
  }

  /** Instances hosted now, counting those still saying goodbye. */
  get load(): number {
    return this.#owners.size;
  }

  get dead(): boolean {
    return this.#dead;
  }

  /**
   * True when the thread's event loop has not turned for `stallMs`: a guest is holding it (a spin
   * with no request timeout to stop it). New instances go elsewhere while it is.
   */
  stalled(now: number, stallMs: number): boolean {
    if (!this.#isReady) return false;
    const beat = Atomics.load(this.#heartbeat, 0);
    if (beat !== this.#lastBeat) {
      this.#lastBeat = beat;
      this.#beatSeenAt = now;
      return false;
    }
    return now - this.#beatSeenAt > stallMs;
  }

  /** Starts an instance here; its messages go to `owner` until it says `disposed`. */
  host(hostId: number, owner: InstanceOwner, env: Array<[string, string]>, interrupt: SharedArrayBuffer): void {
    if (this.#dead) {
      queueMicrotask(() => owner.onLost(`executor ${this.id} is gone`));
      return;
    }
    if (this.#owners.size === 0) this.#worker.ref();
    this.#owners.set(hostId, owner);
    this.#send({ type: 'instantiate', hostId, env, interrupt });
  }

  request(hostId: number, requestId: number, init: IncomingRequestInit, flow: ResponseFlowBuffers | undefined): void {
    this.#send({ type: 'request', hostId, requestId, init, ...(flow ? { flow } : {}) });
  }

  dispose(hostId: number): void {
    this.#send({ type: 'dispose', hostId });
  }

  /** Stops the thread at once; every instance still on it is lost with `message`. */
  terminate(message: string): void {
    if (this.#dead) return;
    this.#die(message);
    // Terminating a thread that is already gone rejects; there is nothing left to stop.
    this.#worker.terminate().catch(() => {});
  }

  #send(message: ToExecutor): void {
    if (!this.#dead) this.#worker.postMessage(message);
  }

  #deliver(hostId: number, messages: FromInstance[]): void {
    const owner = this.#owners.get(hostId);
    if (!owner) return;
    for (const message of messages) {
      owner.onMessage(message);
      if (message.type === 'disposed') {
        this.#owners.delete(hostId);
        if (this.#owners.size === 0 && !this.#dead) {
          this.#worker.unref();
          this.onIdle(this);
        }
        return;
      }
    }
  }

  #die(message: string): void {
    if (this.#dead) return;
    this.#dead = true;
    const owners = [...this.#owners.values()];
    this.#owners.clear();
    // The pool forgets this executor first: instances started from `onLost` must land elsewhere.
    this.#onDeath(this, message);
    for (const owner of owners) owner.onLost(message);
  }
}
