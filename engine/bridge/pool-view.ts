import type { PoolEvent } from '../../protocol/index.ts';
import { EventBus } from '../events/event-bus.ts';
import type { Serving } from '../serve.ts';
import { EventHistory } from './history.ts';
import { InstanceTracker } from './instance-tracker.ts';

/** Who a pool serves for: the user (CLI flags, dashboard commands) or a teaching scenario. */
export type PoolOwner = 'user' | 'scenario';

/**
 * One pool as the dashboard session keeps it: its own event bus (on the session's clock and
 * sequence), and what a dashboard needs of it whether or not one is watching: its instances and
 * its bounded event history. Its events go out live (`showTo`: the dashboards, the CLI's printer)
 * while it is the pool on show; the user's pool keeps serving unseen while a scenario runs, its
 * record kept up to date for when it is shown again. (`--events` follows the user's pools, shown
 * or not: `PoolStage.start`.)
 */
export class PoolView {
  /** Numbers the session's pools in the order they started (a snapshot's `poolId`). */
  readonly id: number;
  /** Mutable for one case: a scenario's last guest becomes the user's when the user had nothing. */
  owner: PoolOwner;
  readonly bus: EventBus;
  readonly tracker = new InstanceTracker();
  readonly history = new EventHistory();
  /** Set once it serves; null again once stopped (its instances and history stay to be shown). */
  serving: Serving | null = null;
  #out: ((event: PoolEvent) => void) | null = null;

  constructor(id: number, owner: PoolOwner, clock: EventBus) {
    this.id = id;
    this.owner = owner;
    this.bus = new EventBus(clock);
    this.bus.subscribe((event) => {
      this.tracker.apply(event);
      this.history.push(event);
      this.#out?.(event);
    });
  }

  /** Its events go out through `out` from now on; null keeps them in its own record only. */
  showTo(out: ((event: PoolEvent) => void) | null): void {
    this.#out = out;
  }
}
