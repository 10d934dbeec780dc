import { foldInstanceEvent, isInstanceEvent, startingInstance } from '../../protocol/instance-fold.ts';
import type { InstanceSnapshot, PoolEvent, RetiredInstance } from '../../protocol/index.ts';

/**
 * Follows the event stream to know every live instance's state, so a dashboard that connects (or
 * reconnects) mid-run gets a snapshot instead of a blank screen. Built from events only (the
 * pool's internals stay private), with the fold the dashboard uses too. Optionally it remembers
 * the instances that exited (the history's `before` uses that), newest first, at most `maxRetired`.
 */
export class InstanceTracker {
  readonly #live = new Map<number, InstanceSnapshot>();
  readonly #maxRetired: number;
  /** Newest first. */
  #retired: RetiredInstance[] = [];
  #retiredTotal = 0;

  constructor(maxRetired = 0) {
    this.#maxRetired = maxRetired;
  }

  apply(event: PoolEvent): void {
    if (event.type === 'worker.spawned') this.#live.set(event.instanceId, startingInstance(event.instanceId, event.t));
    else if (event.type === 'worker.exit') this.#retire(event);
    else if (isInstanceEvent(event) && event.instanceId !== null) {
      const snapshot = this.#live.get(event.instanceId);
      if (snapshot) this.#live.set(event.instanceId, foldInstanceEvent(snapshot, event));
      else if (event.type === 'request.completed' || event.type === 'request.failed') {
        // A request can settle after its instance left (the exit came first): it counts there, as
        // on the dashboard's retired cards. Other events of an exited instance change nothing.
        this.#countRetired(event.instanceId, event.type === 'request.completed' ? 'ok' : 'failed');
      }
    }
  }

  /** Records are replaced on change, never mutated, so they are shared, not copied. */
  snapshot(): InstanceSnapshot[] {
    return [...this.#live.values()];
  }

  /** Exited instances, newest first (empty unless constructed with `maxRetired`). */
  retired(): { retired: RetiredInstance[]; total: number } {
    return { retired: this.#retired.slice(), total: this.#retiredTotal };
  }

  clear(): void {
    this.#live.clear();
    this.#retired = [];
    this.#retiredTotal = 0;
  }

  #retire(event: Extract<PoolEvent, { type: 'worker.exit' }>): void {
    const s = this.#live.get(event.instanceId) ?? startingInstance(event.instanceId, event.t - event.lifetimeMs);
    this.#live.delete(event.instanceId);
    if (this.#maxRetired === 0) return;
    this.#retiredTotal++;
    // As the dashboard retires a card: unavailable, nothing in flight, reuse at least what it served.
    this.#retired.unshift({
      ...s,
      available: false,
      inFlight: 0,
      reuseCount: Math.max(s.reuseCount, event.served),
      exit: {
        cause: event.cause,
        message: event.message,
        t: event.t,
        served: event.served,
        lifetimeMs: event.lifetimeMs,
      },
    });
    if (this.#retired.length > this.#maxRetired) this.#retired.length = this.#maxRetired;
  }

  #countRetired(instanceId: number, field: 'ok' | 'failed'): void {
    const index = this.#retired.findIndex((r) => r.instanceId === instanceId);
    const r = this.#retired[index];
    if (r) this.#retired[index] = { ...r, [field]: (r[field] ?? 0) + 1 };
  }
}
