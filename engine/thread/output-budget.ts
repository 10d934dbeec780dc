import { performance } from 'node:perf_hooks';

/** Sustained guest output forwarded per stream (stdout, stderr) of one instance: 1 MiB/s. */
export const OUTPUT_BYTES_PER_SECOND = 1024 * 1024;
/** What a quiet stream may send at once before the rate applies: 4 MiB. */
export const OUTPUT_BURST_BYTES = 4 * 1024 * 1024;
/**
 * What a line costs beyond its bytes: each one becomes a message to the pool and an event, so a
 * flood of empty lines is not free either.
 */
export const OUTPUT_LINE_COST = 64;

/**
 * A token bucket bounding how fast one stream's lines go to the pool. Messages from an instance
 * thread have no backpressure: a guest printing faster than the main thread can handle would
 * otherwise queue messages without bound.
 */
export class OutputBudget {
  readonly bytesPerSecond: number;
  readonly burstBytes: number;
  readonly #now: () => number;
  #tokens: number;
  #last: number;

  constructor(options: { bytesPerSecond?: number; burstBytes?: number; now?: () => number } = {}) {
    this.bytesPerSecond = options.bytesPerSecond ?? OUTPUT_BYTES_PER_SECOND;
    this.burstBytes = options.burstBytes ?? OUTPUT_BURST_BYTES;
    this.#now = options.now ?? (() => performance.now());
    this.#tokens = this.burstBytes;
    this.#last = this.#now();
  }

  /** Spends `cost` if the bucket holds it; false (nothing spent) if not. */
  take(cost: number): boolean {
    const now = this.#now();
    this.#tokens = Math.min(this.burstBytes, this.#tokens + ((now - this.#last) * this.bytesPerSecond) / 1000);
    this.#last = now;
    if (this.#tokens < cost) return false;
    this.#tokens -= cost;
    return true;
  }
}
