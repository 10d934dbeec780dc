import { EVENT_BATCH_INTERVAL_MS, MAX_EVENTS_PER_BATCH, type PoolEvent } from '../../protocol/index.ts';
import { compactBatch } from './compact-batch.ts';

/** Request-level events may be shed under extreme load; instance lifecycle events never are. */
const SHEDDABLE = new Set<PoolEvent['type']>([
  'request.received',
  'request.dispatched',
  'request.outgoing',
  'guest.output',
  'pool.gauges',
]);

/**
 * Collects events and hands them over in batches at a bounded rate, so thousands of requests per
 * second reach a dashboard as ~20 messages per second. A large batch is compacted (compact-batch.ts:
 * each second's gauge samples become its peak and its last). If a batch grows past the cap, the
 * oldest sheddable events go first and are counted as dropped.
 */
export class EventBatcher {
  readonly #flush: (events: PoolEvent[], dropped: number) => void;
  readonly #intervalMs: number;
  #pending: PoolEvent[] = [];
  #dropped = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(flush: (events: PoolEvent[], dropped: number) => void, intervalMs = EVENT_BATCH_INTERVAL_MS) {
    this.#flush = flush;
    this.#intervalMs = intervalMs;
  }

  push(event: PoolEvent): void {
    this.#pending.push(event);
    // Shed in chunks (from 110% down to 90% of the cap) so a flood costs O(1) per event.
    if (this.#pending.length > MAX_EVENTS_PER_BATCH * 1.1) this.#shed();
    this.#timer ??= setTimeout(() => this.flushNow(), this.#intervalMs);
  }

  flushNow(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.length === 0 && this.#dropped === 0) return;
    const events = compactBatch(this.#pending);
    const dropped = this.#dropped;
    this.#pending = [];
    this.#dropped = 0;
    this.#flush(events, dropped);
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #shed(): void {
    const excess = this.#pending.length - Math.floor(MAX_EVENTS_PER_BATCH * 0.9);
    let removed = 0;
    this.#pending = this.#pending.filter((event) => {
      if (removed < excess && SHEDDABLE.has(event.type)) {
        removed++;
        return false;
      }
      return true;
    });
    this.#dropped += removed;
  }
}
