import { Worker } from 'node:worker_threads';
import type { FromThread, InstanceThreadData, ToThread } from '../worker/messages.ts';
import { threadEntry } from '../thread-entry.ts';

const THREAD_ENTRY = threadEntry(new URL('../worker/instance-thread.ts', import.meta.url));

interface Owner {
  onMessage: (message: FromThread) => void;
  onDeath: (message: string) => void;
}

const NOBODY: Owner = { onMessage: () => {}, onDeath: () => {} };

/**
 * The main thread's handle on one instance thread. A thread can be handed to its next owner as
 * soon as its instance is told to dispose: messages up to and including `disposed` still reach the
 * old owner (its last guest output among them), later ones the new owner. So a fresh instance never
 * waits for the previous one's goodbye.
 */
export class InstanceThread {
  readonly #worker: Worker;
  #owner: Owner = NOBODY;
  #next: Owner | null = null;
  #disposing = false;
  /** unref() came while the instance was still disposing: done once `disposed` arrives. */
  #unrefWhenDisposed = false;
  #terminated = false;

  constructor(data: InstanceThreadData) {
    // Guests get no stdin; their stdout/stderr are captured by the host, not the thread's streams.
    this.#worker = new Worker(THREAD_ENTRY, { workerData: data, stdin: false, stdout: false, stderr: false });
    // The thread sends batches (see worker/outbox.ts); each is handled in one turn, in order.
    this.#worker.on('message', (batch: FromThread[]) => {
      for (const message of batch) this.#deliver(message);
    });
    this.#worker.on('error', (error: Error) => this.#die(`instance thread crashed: ${error.message}`));
    this.#worker.on('exit', (code) => this.#die(`instance thread exited unexpectedly (code ${code})`));
  }

  /** Routes this thread's messages to its (next) owner. */
  attach(onMessage: Owner['onMessage'], onDeath: Owner['onDeath']): void {
    if (this.#disposing) this.#next = { onMessage, onDeath };
    else this.#owner = { onMessage, onDeath };
  }

  send(message: ToThread): void {
    this.#worker.postMessage(message);
  }

  /** Asks the thread to drop its instance; the current owner still gets everything up to `disposed`. */
  dispose(): void {
    this.#disposing = true;
    this.send({ type: 'dispose' });
  }

  get terminated(): boolean {
    return this.#terminated;
  }

  /** Stops the thread at once, whatever the guest is doing (a busy loop included). */
  terminate(): void {
    if (this.#terminated) return;
    this.#terminated = true;
    this.#owner = NOBODY;
    this.#next = null;
    // Terminating a thread that is already gone rejects; there is nothing left to stop.
    this.#worker.terminate().catch(() => {});
  }

  /**
   * Lets the process exit while this (spare) thread is parked. A thread still disposing of its
   * instance stays referenced until `disposed`: its old owner waits for that message (a pool
   * shutting down does), and an unreferenced thread's messages cannot keep the process alive.
   */
  unref(): void {
    if (this.#disposing) this.#unrefWhenDisposed = true;
    else this.#worker.unref();
  }

  ref(): void {
    this.#unrefWhenDisposed = false;
    this.#worker.ref();
  }

  #deliver(message: FromThread): void {
    this.#owner.onMessage(message);
    if (message.type === 'disposed' && this.#disposing) {
      this.#disposing = false;
      this.#owner = this.#next ?? NOBODY;
      this.#next = null;
      if (this.#unrefWhenDisposed) {
        this.#unrefWhenDisposed = false;
        this.#worker.unref();
      }
    }
  }

  #die(message: string): void {
    if (this.#terminated) return;
    this.#terminated = true;
    const owners = [this.#owner, this.#next];
    this.#owner = NOBODY;
    this.#next = null;
    for (const owner of owners) owner?.onDeath(message);
  }
}
