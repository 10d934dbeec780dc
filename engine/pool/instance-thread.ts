import { Worker } from 'node:worker_threads';
import type { FromThread, InstanceThreadData, ToThread } from '../worker/messages.ts';

const THREAD_ENTRY = new URL('../worker/instance-thread.ts', import.meta.url);

/** The main thread's handle on one instance thread. */
export class InstanceThread {
  readonly #worker: Worker;
  #onMessage: (message: FromThread) => void = () => {};
  #onDeath: (message: string) => void = () => {};
  #terminated = false;

  constructor(data: InstanceThreadData) {
    // Guests get no stdin; their stdout/stderr are captured by the host, not the thread's streams.
    this.#worker = new Worker(THREAD_ENTRY, { workerData: data, stdin: false, stdout: false, stderr: false });
    // The thread sends batches (see worker/outbox.ts); each is handled in one turn, in order.
    this.#worker.on('message', (batch: FromThread[]) => {
      for (const message of batch) this.#onMessage(message);
    });
    this.#worker.on('error', (error: Error) => this.#die(`instance thread crashed: ${error.message}`));
    this.#worker.on('exit', (code) => this.#die(`instance thread exited unexpectedly (code ${code})`));
  }

  /** Routes this thread's messages to the instance it currently hosts. */
  attach(onMessage: (message: FromThread) => void, onDeath: (message: string) => void): void {
    this.#onMessage = onMessage;
    this.#onDeath = onDeath;
  }

  detach(): void {
    this.#onMessage = () => {};
    this.#onDeath = () => {};
  }

  send(message: ToThread): void {
    this.#worker.postMessage(message);
  }

  get terminated(): boolean {
    return this.#terminated;
  }

  /** Stops the thread at once, whatever the guest is doing (a busy loop included). */
  terminate(): void {
    if (this.#terminated) return;
    this.#terminated = true;
    this.detach();
    void this.#worker.terminate();
  }

  /** Lets the process exit while this (spare) thread is parked. */
  unref(): void {
    this.#worker.unref();
  }

  ref(): void {
    this.#worker.ref();
  }

  #die(message: string): void {
    if (this.#terminated) return;
    this.#terminated = true;
    const onDeath = this.#onDeath;
    this.detach();
    onDeath(message);
  }
}
