import { performance } from 'node:perf_hooks';
import type { PoolEvent, PoolEventInit } from '../../protocol/index.ts';

export type EventListener = (event: PoolEvent) => void;

/**
 * The in-process subscription point for lifecycle events. It stamps each event with the engine's
 * monotonic time and a sequence number, then hands it to every subscriber synchronously: the
 * subscribers (CLI printer, JSON-lines writer, dashboard bridge) decide how to batch.
 */
export class EventBus {
  readonly #origin = performance.now();
  readonly #listeners = new Set<EventListener>();
  #seq = 0;

  /** Milliseconds since the engine started, on the monotonic clock every event uses. */
  now(): number {
    return performance.now() - this.#origin;
  }

  emit(init: PoolEventInit): void {
    if (this.#listeners.size === 0) {
      this.#seq++;
      return;
    }
    // Spreading a union loses which member it is; an init plus `t` and `seq` is its PoolEvent.
    const event = { ...init, t: this.now(), seq: this.#seq++ } as PoolEvent;
    for (const listener of this.#listeners) listener(event);
  }

  subscribe(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
