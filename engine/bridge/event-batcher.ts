import {
  EVENT_BATCH_INTERVAL_MS,
  LOADED_EVENT_BATCH_INTERVAL_MS,
  LOADED_EVENTS_PER_SECOND,
  MAX_EVENTS_PER_BATCH,
  type PoolEvent,
} from '../../protocol/index.ts';
import { compactBatch } from './compact-batch.ts';

/** Request-level events may be shed under extreme load; instance lifecycle events never are. */
const SHEDDABLE = new Set<PoolEvent['type']>([
  'request.received',
  'request.dispatched',
  'request.outgoing',
  'guest.output',
  'pool.gauges',
]);

/** Runs `flush` once after `ms`; the returned function cancels it. A test passes its own to flush when it says. */
export type Schedule = (flush: () => void, ms: number) => () => void;

const timerSchedule: Schedule = (flush, ms) => {
  const timer = setTimeout(flush, ms);
  return () => clearTimeout(timer);
};

/** When the batcher is to hand over its batches, and what it keeps of one at most. */
export interface BatchWindow {
  intervalMs: number;
  maxEvents: number;
}

const WINDOWS = {
  quiet: { intervalMs: EVENT_BATCH_INTERVAL_MS, maxEvents: MAX_EVENTS_PER_BATCH },
  loaded: {
    intervalMs: LOADED_EVENT_BATCH_INTERVAL_MS,
    maxEvents: Math.round((MAX_EVENTS_PER_BATCH * LOADED_EVENT_BATCH_INTERVAL_MS) / EVENT_BATCH_INTERVAL_MS),
  },
} as const satisfies Record<string, BatchWindow>;

/**
 * Collects events and hands them over in batches at a bounded rate: every 50 ms while events come
 * by hand, every 250 ms once they come at 2,000 a second or more (until under half that), so
 * thousands of requests per second reach a dashboard as four messages a second. A large batch is
 * compacted (compact-batch.ts: each second's gauge samples become its peak and its last). If a
 * batch grows past its cap, the oldest sheddable events go first and are counted as dropped.
 */
export class EventBatcher {
  readonly #flush: (events: PoolEvent[], dropped: number) => void;
  readonly #schedule: Schedule;
  #window: BatchWindow = WINDOWS.quiet;
  #pending: PoolEvent[] = [];
  #dropped = 0;
  /** Pending events past which the next shed runs: 110% of the cap, or 20% of it past a shed that left more (lifecycle events are never shed). */
  #shedFrom = this.#window.maxEvents * 1.1;
  #cancel: (() => void) | undefined;

  constructor(flush: (events: PoolEvent[], dropped: number) => void, schedule: Schedule = timerSchedule) {
    this.#flush = flush;
    this.#schedule = schedule;
  }

  /** The window the next batch is collected in. */
  get window(): BatchWindow {
    return this.#window;
  }

  push(event: PoolEvent): void {
    this.#pending.push(event);
    // Shed in chunks (from 110% down to 90% of the cap) so a flood costs O(1) per event.
    if (this.#pending.length > this.#shedFrom) this.#shed();
    this.#cancel ??= this.#schedule(() => {
      this.#cancel = undefined;
      this.flushNow();
    }, this.#window.intervalMs);
  }

  flushNow(): void {
    this.#cancel?.();
    this.#cancel = undefined;
    if (this.#pending.length === 0 && this.#dropped === 0) return;
    const taken = this.#pending.length + this.#dropped;
    const events = compactBatch(this.#pending);
    const dropped = this.#dropped;
    this.#pending = [];
    this.#dropped = 0;
    this.#window = nextWindow(this.#window, taken);
    this.#shedFrom = this.#window.maxEvents * 1.1;
    this.#flush(events, dropped);
  }

  stop(): void {
    this.#cancel?.();
    this.#cancel = undefined;
  }

  #shed(): void {
    const excess = this.#pending.length - Math.floor(this.#window.maxEvents * 0.9);
    let removed = 0;
    this.#pending = this.#pending.filter((event) => {
      if (removed < excess && SHEDDABLE.has(event.type)) {
        removed++;
        return false;
      }
      return true;
    });
    this.#dropped += removed;
    this.#shedFrom = Math.max(this.#window.maxEvents * 1.1, this.#pending.length + this.#window.maxEvents * 0.2);
  }
}

/**
 * The window after a batch of `events` (dropped ones included) collected in `window`: loaded from
 * `LOADED_EVENTS_PER_SECOND`, quiet again below half of it, so a rate near the line does not flap.
 * (A batch handed over early, by `flushNow`, counts as if it had filled its window: it can only
 * under-state the rate.)
 */
export function nextWindow(window: BatchWindow, events: number): BatchWindow {
  const perSecond = (events * 1000) / window.intervalMs;
  if (window === WINDOWS.quiet) return perSecond >= LOADED_EVENTS_PER_SECOND ? WINDOWS.loaded : WINDOWS.quiet;
  return perSecond < LOADED_EVENTS_PER_SECOND / 2 ? WINDOWS.quiet : WINDOWS.loaded;
}
