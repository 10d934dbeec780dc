import type { InstanceSnapshot, PoolEvent } from '../../protocol/index.ts';

/**
 * Follows the event stream to know every live instance's state, so a dashboard that connects (or
 * reconnects) mid-run gets a snapshot instead of a blank screen. Built from events only: the
 * pool's internals stay private.
 */
export class InstanceTracker {
  readonly #live = new Map<number, InstanceSnapshot>();

  apply(event: PoolEvent): void {
    switch (event.type) {
      case 'worker.spawned':
        this.#live.set(event.instanceId, {
          instanceId: event.instanceId,
          status: 'Starting',
          available: false,
          unavailableWhy: null,
          draining: false,
          reuseCount: 0,
          inFlight: 0,
          createdAt: event.t,
          memoryBytes: null,
        });
        break;
      case 'worker.status':
        this.#update(event.instanceId, (s) => (s.status = event.status));
        break;
      case 'worker.available':
        this.#update(event.instanceId, (s) => {
          s.available = true;
          s.unavailableWhy = null;
        });
        break;
      case 'worker.unavailable':
        this.#update(event.instanceId, (s) => {
          s.available = false;
          s.unavailableWhy = event.why;
        });
        break;
      case 'worker.draining':
        this.#update(event.instanceId, (s) => (s.draining = true));
        break;
      case 'worker.memory':
        this.#update(event.instanceId, (s) => (s.memoryBytes = event.bytes));
        break;
      case 'request.accepted':
        this.#update(event.instanceId, (s) => {
          s.reuseCount = event.reuseCount;
          s.inFlight = event.inFlight;
        });
        break;
      case 'request.responded':
      case 'request.expired':
      case 'request.failed':
        // In-flight counts are exact at accept time; between accepts the dashboard derives them
        // from request events. Here it is enough not to count a finished request.
        if (event.instanceId !== null) this.#update(event.instanceId, (s) => (s.inFlight = Math.max(0, s.inFlight - 1)));
        break;
      case 'worker.exit':
        this.#live.delete(event.instanceId);
        break;
      default:
        break;
    }
  }

  snapshot(): InstanceSnapshot[] {
    return [...this.#live.values()].map((s) => ({ ...s }));
  }

  clear(): void {
    this.#live.clear();
  }

  #update(instanceId: number, change: (snapshot: InstanceSnapshot) => void): void {
    const snapshot = this.#live.get(instanceId);
    if (snapshot) change(snapshot);
  }
}
