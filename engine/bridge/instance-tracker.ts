import { foldInstanceEvent, isInstanceEvent, startingInstance } from '../../protocol/instance-fold.ts';
import type { InstanceSnapshot, PoolEvent } from '../../protocol/index.ts';

/**
 * Follows the event stream to know every live instance's state, so a dashboard that connects (or
 * reconnects) mid-run gets a snapshot instead of a blank screen. Built from events only (the
 * pool's internals stay private), with the fold the dashboard uses too.
 */
export class InstanceTracker {
  readonly #live = new Map<number, InstanceSnapshot>();

  apply(event: PoolEvent): void {
    if (event.type === 'worker.spawned') this.#live.set(event.instanceId, startingInstance(event.instanceId, event.t));
    else if (event.type === 'worker.exit') this.#live.delete(event.instanceId);
    else if (isInstanceEvent(event) && event.instanceId !== null) {
      // Events of an instance that already exited (a request failing after it) change nothing.
      const snapshot = this.#live.get(event.instanceId);
      if (snapshot) this.#live.set(event.instanceId, foldInstanceEvent(snapshot, event));
    }
  }

  /** Records are replaced on change, never mutated, so they are shared, not copied. */
  snapshot(): InstanceSnapshot[] {
    return [...this.#live.values()];
  }

  clear(): void {
    this.#live.clear();
  }
}
