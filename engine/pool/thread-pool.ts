import type { InstanceThreadData } from '../worker/messages.ts';
import { InstanceThread } from './instance-thread.ts';

/** How long a spare thread waits to host a fresh instance before it is stopped. */
const SPARE_TTL_MS = 10_000;
const MAX_SPARES = 64;

/**
 * Threads left by cleanly exited instances, kept briefly so the next instance skips the cost of
 * starting a thread (70–150 ms) and pays only for instantiation. A thread only ever hosts a *fresh*
 * instance: no guest state survives recycling.
 */
export class ThreadPool {
  readonly #data: InstanceThreadData;
  readonly #spares: Array<{ thread: InstanceThread; timer: NodeJS.Timeout }> = [];

  constructor(data: InstanceThreadData) {
    this.#data = data;
  }

  acquire(): { thread: InstanceThread; recycled: boolean } {
    while (this.#spares.length > 0) {
      const spare = this.#spares.pop()!;
      clearTimeout(spare.timer);
      if (spare.thread.terminated) continue;
      spare.thread.ref();
      return { thread: spare.thread, recycled: true };
    }
    return { thread: new InstanceThread(this.#data), recycled: false };
  }

  /** Takes back a thread whose instance exited cleanly (it may still be disposing of it). */
  release(thread: InstanceThread): void {
    if (thread.terminated) return;
    if (this.#spares.length >= MAX_SPARES) {
      thread.terminate();
      return;
    }
    thread.attach(
      () => {},
      () => this.#forget(thread),
    );
    thread.unref();
    const timer = setTimeout(() => {
      this.#forget(thread);
      thread.terminate();
    }, SPARE_TTL_MS);
    timer.unref();
    this.#spares.push({ thread, timer });
  }

  get spareCount(): number {
    return this.#spares.length;
  }

  close(): void {
    for (const { thread, timer } of this.#spares.splice(0)) {
      clearTimeout(timer);
      thread.terminate();
    }
  }

  #forget(thread: InstanceThread): void {
    const index = this.#spares.findIndex((spare) => spare.thread === thread);
    if (index >= 0) clearTimeout(this.#spares.splice(index, 1)[0]!.timer);
  }
}
