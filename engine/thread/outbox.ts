import { performance } from 'node:perf_hooks';
import type { FromInstance } from './messages.ts';

/** Flush held messages once they are this old or this large, even if the guest neither returns nor blocks. */
const MAX_HOLD_MS = 5;
const MAX_HOLD_BYTES = 256 * 1024;

/**
 * Messages from one instance on an executor to the pool, sent in batches. While a WASIp2 `handle` runs,
 * messages are held and go out together with `returned`, so the pool learns that the instance is
 * free in the same turn in which the client gets the end of its response: the client's next
 * request then finds the instance available (serial reuse), as it does in wasmtime. Held messages
 * also go out before the guest blocks the thread, and when they grow old or large, so streaming
 * still streams. Outside such calls (WASIp3's async handlers), everything sent in one event-loop
 * turn goes out together. One postMessage per request instead of four is also cheaper.
 *
 * A held `end` is never sent by age or size: it goes out with `returned` (or before the guest
 * blocks), while what was held before and after it (head, chunks, output) still flushes. Otherwise
 * a thread descheduled between the two (a busy machine) lets the client see its answer complete
 * and send the next request before the pool knows the instance is free, and a sequential client
 * lands on a second instance. The guarantee: a sequential client reuses its instance whenever the
 * guest returned without blocking after finishing its body. The cost: a guest that computes after
 * finishing its body completes its response when it returns (the bytes are already out).
 */
export class Outbox {
  readonly #post: (batch: FromInstance[]) => void;
  #held: FromInstance[] = [];
  #holding = false;
  #heldSince = 0;
  #heldBytes = 0;
  #flushScheduled = false;
  readonly #scheduledFlush = (): void => {
    this.#flushScheduled = false;
    this.flush();
  };

  constructor(post: (batch: FromInstance[]) => void) {
    this.#post = post;
  }

  send(message: FromInstance): void {
    this.#held.push(message);
    if (!this.#holding) {
      // Outside a WASIp2 guest call, send once the current turn ends: one message per turn.
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(this.#scheduledFlush);
      }
      return;
    }
    if (message.type === 'chunk') this.#heldBytes += message.bytes.byteLength;
    if (this.#held.length === 1) this.#heldSince = performance.now();
    else if (this.#heldBytes > MAX_HOLD_BYTES || performance.now() - this.#heldSince > MAX_HOLD_MS)
      this.#flushAllButEnds();
  }

  /** Holds messages until `release`, e.g. for the length of a WASIp2 guest call. */
  hold(): void {
    this.#holding = true;
  }

  release(): void {
    this.#holding = false;
    this.flush();
  }

  flush(): void {
    if (this.#held.length === 0) return;
    const batch = this.#held;
    this.#held = [];
    this.#heldBytes = 0;
    this.#post(batch);
  }

  /**
   * The age/size flush: everything before a held end, and guest output after it. The end and what
   * follows it (`returned`, which must never overtake it) wait for `release` or a block.
   */
  #flushAllButEnds(): void {
    const at = this.#held.findIndex((message) => message.type === 'end');
    if (at < 0) return this.flush();
    const after = this.#held.slice(at);
    const batch = [...this.#held.slice(0, at), ...after.filter((message) => message.type === 'output')];
    this.#held = after.filter((message) => message.type !== 'output');
    this.#heldBytes = 0;
    this.#heldSince = performance.now();
    if (batch.length > 0) this.#post(batch);
  }
}
