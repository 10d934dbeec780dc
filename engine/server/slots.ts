/**
 * `--max-concurrent-requests`: a counting semaphore whose capacity is read on every use, so the
 * knob can change while requests wait (wasmtime's `handle` has no backpressure of its own).
 */
export class Slots {
  readonly #capacity: () => number;
  readonly #waiting: Array<() => void> = [];
  #used = 0;

  constructor(capacity: () => number) {
    this.#capacity = capacity;
  }

  acquire(): Promise<void> | undefined {
    if (this.#used < this.#capacity()) {
      this.#used++;
      return undefined;
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  release(): void {
    this.#used--;
    while (this.#used < this.#capacity()) {
      const wake = this.#waiting.shift();
      if (!wake) break;
      this.#used++;
      wake();
    }
  }

  get waiting(): number {
    return this.#waiting.length;
  }
}
