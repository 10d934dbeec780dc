import type { EventBus } from '../events/event-bus.ts';
import { MAX_OUTGOING_EVENTS_PER_SECOND, type OutgoingCall } from '../../protocol/index.ts';

const WINDOW_MS = 1000;

/**
 * One instance's outgoing requests as events: `request.outgoing` for each, up to
 * `perSecond` in a one-second window that opens with the first request after the last one closed;
 * the rest are counted and reported in one `request.outgoing_dropped` when the window closes (a
 * timer, unref'd) or when the instance exits (`flush`), so every request is accounted for and a
 * guest calling out in a loop costs the bus a bounded rate.
 */
export class OutgoingEvents {
  readonly #bus: EventBus;
  readonly #instanceId: number;
  readonly #perSecond: number;
  readonly #now: () => number;
  #windowStart = -Infinity;
  #inWindow = 0;
  #dropped = 0;
  #droppedFailed = 0;
  #timer: NodeJS.Timeout | undefined;

  /** `perSecond` and `now` (the bus's clock by default) are for tests. */
  constructor(bus: EventBus, instanceId: number, options: { perSecond?: number; now?: () => number } = {}) {
    this.#bus = bus;
    this.#instanceId = instanceId;
    this.#perSecond = options.perSecond ?? MAX_OUTGOING_EVENTS_PER_SECOND;
    this.#now = options.now ?? (() => bus.now());
  }

  report(requestId: number | null, call: OutgoingCall): void {
    const now = this.#now();
    if (now - this.#windowStart >= WINDOW_MS) {
      this.flush();
      this.#windowStart = now;
      this.#inWindow = 0;
    }
    if (this.#inWindow < this.#perSecond) {
      this.#inWindow++;
      this.#bus.emit({ type: 'request.outgoing', instanceId: this.#instanceId, requestId, ...call });
      return;
    }
    this.#dropped++;
    if (call.outcome === 'failed') this.#droppedFailed++;
    this.#timer ??= setTimeout(() => this.flush(), Math.max(0, this.#windowStart + WINDOW_MS - now)).unref();
  }

  /** Reports the requests counted so far, if any (the window closed, or the instance exits). */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#dropped === 0) return;
    const count = this.#dropped;
    const failed = this.#droppedFailed;
    this.#dropped = 0;
    this.#droppedFailed = 0;
    this.#bus.emit({ type: 'request.outgoing_dropped', instanceId: this.#instanceId, count, failed });
  }
}
