import { performance } from 'node:perf_hooks';
import type { PoolEvent, PoolEventInit } from '../../protocol/index.ts';

export type EventListener = (event: PoolEvent) => void;

/**
 * The in-process subscription point for lifecycle events. It stamps each event with the engine's
 * monotonic time and a sequence number, then hands it to every subscriber synchronously: the
 * subscribers (CLI printer, JSON-lines writer, dashboard bridge) decide how to batch.
 */
export class EventBus {
  readonly #origin: number;
  readonly #listeners = new Set<EventListener>();
  /** Shared with the buses made on this one's clock, so `seq` never repeats among them. */
  readonly #seq: { next: number };

  /**
   * `clock`: stamp on that bus's clock and sequence (one pool's own bus, whose events the session
   * relays to its own bus or keeps aside), so events of any of them can be told apart and ordered.
   */
  constructor(clock?: EventBus) {
    this.#origin = clock ? clock.#origin : performance.now();
    this.#seq = clock ? clock.#seq : { next: 0 };
  }

  /** Milliseconds since the engine started, on the monotonic clock every event uses. */
  now(): number {
    return performance.now() - this.#origin;
  }

  emit(init: PoolEventInit): void {
    if (this.#listeners.size === 0) {
      this.#seq.next++;
      return;
    }
    // Spreading a union loses which member it is; an init plus `t` and `seq` is its PoolEvent.
    const event = { ...init, t: this.now(), seq: this.#seq.next++ } as PoolEvent;
    for (const listener of this.#listeners) listener(event);
  }

  /** Hands an event already stamped (by a bus on this one's clock) to this bus's subscribers. */
  relay(event: PoolEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  subscribe(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
