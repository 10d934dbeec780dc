import { HISTORY_MAX_BYTES, HISTORY_MAX_EVENTS, type History, type PoolEvent } from '../../protocol/index.ts';
import { HistoryDigest } from './history-digest.ts';

export interface HistoryBounds {
  /** Events kept at most (default `HISTORY_MAX_EVENTS`, 50,000). */
  maxEvents: number;
  /** Estimated bytes kept at most (default `HISTORY_MAX_BYTES`, 8 MiB; see `estimateBytes`). */
  maxBytes: number;
}

/**
 * The current pool's recent events, in full and in order, exactly as the bus emitted them (not as
 * batched for the live stream, which may shed or aggregate), for a dashboard that attaches late or
 * reloads. Bounded by count and by estimated bytes; the oldest go first, into a `HistoryDigest`
 * that keeps what they left behind (instances, chart buckets, counters).
 */
export class EventHistory {
  readonly #bounds: HistoryBounds;
  /** A ring as an array with a moving head, compacted now and then: O(1) per event, amortised. */
  #events: PoolEvent[] = [];
  #sizes: number[] = [];
  #head = 0;
  #bytes = 0;
  #dropped = 0;
  #digest: HistoryDigest | null = null;

  constructor(bounds: Partial<HistoryBounds> = {}) {
    this.#bounds = { maxEvents: HISTORY_MAX_EVENTS, maxBytes: HISTORY_MAX_BYTES, ...bounds };
  }

  get length(): number {
    return this.#events.length - this.#head;
  }

  /** Estimated bytes of the kept events. */
  get bytes(): number {
    return this.#bytes;
  }

  push(event: PoolEvent): void {
    const size = estimateBytes(event);
    this.#events.push(event);
    this.#sizes.push(size);
    this.#bytes += size;
    while (this.length > this.#bounds.maxEvents || (this.#bytes > this.#bounds.maxBytes && this.length > 0)) {
      this.#dropOldest();
    }
    if (this.#head > 1024 && this.#head * 2 > this.#events.length) {
      this.#events = this.#events.slice(this.#head);
      this.#sizes = this.#sizes.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Forgets everything: a new pool started, or the user cleared the history. */
  clear(): void {
    this.#events = [];
    this.#sizes = [];
    this.#head = 0;
    this.#bytes = 0;
    this.#dropped = 0;
    this.#digest = null;
  }

  /** What a dashboard attaching now is sent (the events array is a copy: the ring goes on). */
  history(): History {
    return {
      events: this.#events.slice(this.#head),
      dropped: this.#dropped,
      maxEvents: this.#bounds.maxEvents,
      maxBytes: this.#bounds.maxBytes,
      before: this.#digest?.before() ?? null,
    };
  }

  #dropOldest(): void {
    const event = this.#events[this.#head];
    const size = this.#sizes[this.#head] ?? 0;
    if (event === undefined) return;
    this.#head++;
    this.#bytes -= size;
    this.#dropped++;
    (this.#digest ??= new HistoryDigest()).apply(event);
  }
}

/**
 * About the size of `value` as UTF-8 JSON text, as a dashboard is sent it: strings by their
 * escaped UTF-8 bytes, whole numbers as 8, fractions as 18 (a double's shortest text), keys
 * included. Cheaper than serialising (no allocation), and close enough for a memory bound.
 */
export function estimateBytes(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return jsonStringBytes(value);
    case 'number':
      return Number.isInteger(value) ? 8 : 18;
    case 'boolean':
      return 5;
    case 'object': {
      if (value === null) return 4;
      let size = 2;
      if (Array.isArray(value)) {
        for (const item of value) size += estimateBytes(item) + 1;
        return size;
      }
      // for-in, not Object.entries: no array per object (this runs for every event of a busy pool).
      for (const key in value) size += key.length + 4 + estimateBytes((value as Record<string, unknown>)[key]);
      return size;
    }
    default:
      return 0;
  }
}

/**
 * A string's bytes as UTF-8 JSON text, quotes included. Not its `length`: guest output is any text
 * a guest writes, and a line of control characters (ANSI colours, binary) is 6 bytes a character
 * once escaped (`\u001b`), CJK text 3; counted by length, 8 MiB of history could be 48 MiB sent.
 */
function jsonStringBytes(text: string): number {
  let bytes = 2;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20) bytes += 6;
    else if (c === 0x22 || c === 0x5c) bytes += 2;
    else if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    // 0x800 and up; a surrogate pair is 4 bytes, counted 6 (lone halves do not occur: guest bytes
    // are decoded with replacement characters, headers and URIs as latin1).
    else bytes += 3;
  }
  return bytes;
}
