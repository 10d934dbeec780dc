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

/** The batcher's time: a test passes its own, to flush when it says. */
export interface BatcherClock {
  /** Runs `flush` once after `ms`; the returned function cancels it. */
  schedule(flush: () => void, ms: number): () => void;
  /** Milliseconds on a monotonic clock. */
  now(): number;
}

const realClock: BatcherClock = {
  schedule: (flush, ms) => {
    const timer = setTimeout(flush, ms);
    return () => clearTimeout(timer);
  },
  now: () => performance.now(),
};

/**
 * Guest output in one batch past which it is handed over at once (in UTF-16 code units of its
 * lines, ~bytes): a batch's cap counts events, and output lines are the events a guest makes large
 * (up to 64 KiB each), so a 250 ms batch of them could otherwise pass the 16 MiB a dashboard may
 * leave unread in one message.
 */
export const MAX_BATCH_OUTPUT_CHARS = 1024 * 1024;

/** When the batcher is to hand over its batches, and what it keeps of one at most. */
interface BatchWindow {
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
  readonly #clock: BatcherClock;
  #window: BatchWindow = WINDOWS.quiet;
  #pending: PoolEvent[] = [];
  #dropped = 0;
  /** Pending events past which the next shed runs: 110% of the cap, or 20% of it past a shed that left more (lifecycle events are never shed). */
  #shedFrom = this.#window.maxEvents * 1.1;
  #cancel: (() => void) | undefined;
  /** When the batch's first event came (the rate is measured from it), and its output so far. */
  #startedAt = 0;
  #outputChars = 0;

  constructor(flush: (events: PoolEvent[], dropped: number) => void, clock: BatcherClock = realClock) {
    this.#flush = flush;
    this.#clock = clock;
  }

  push(event: PoolEvent): void {
    this.#pending.push(event);
    // Shed in chunks (from 110% down to 90% of the cap) so a flood costs O(1) per event.
    if (this.#pending.length > this.#shedFrom) this.#shed();
    if (this.#cancel === undefined) {
      this.#startedAt = this.#clock.now();
      this.#cancel = this.#clock.schedule(() => {
        this.#cancel = undefined;
        this.flushNow();
      }, this.#window.intervalMs);
    }
    if (event.type === 'guest.output') {
      this.#outputChars += event.line.length;
      if (this.#outputChars >= MAX_BATCH_OUTPUT_CHARS) this.flushNow();
    }
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
    this.#outputChars = 0;
    // Over the time the batch took, or its whole window if handed over early: a late timer (a
    // busy loop) must not overstate the rate, and an early flush can only understate it.
    const elapsedMs = Math.max(this.#window.intervalMs, this.#clock.now() - this.#startedAt);
    this.#window = nextWindow(this.#window, (taken * this.#window.intervalMs) / elapsedMs);
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
 * The window after `events` (dropped ones included) came in the time of `window`: loaded from
 * `LOADED_EVENTS_PER_SECOND`, quiet again below half of it, so a rate near the line does not flap.
 */
function nextWindow(window: BatchWindow, events: number): BatchWindow {
  const perSecond = (events * 1000) / window.intervalMs;
  if (window === WINDOWS.quiet) return perSecond >= LOADED_EVENTS_PER_SECOND ? WINDOWS.loaded : WINDOWS.quiet;
  return perSecond < LOADED_EVENTS_PER_SECOND / 2 ? WINDOWS.quiet : WINDOWS.loaded;
}
