/**
 * Turns a guest's raw writes into whole lines, as wasmtime's LogStream does: partial writes are
 * joined until a newline, and what is left is flushed when the instance ends.
 */
export class LineBuffer {
  readonly #decoder = new TextDecoder();
  #pending = '';
  readonly #emit: (line: string) => void;

  constructor(emit: (line: string) => void) {
    this.#emit = emit;
  }

  write(bytes: Uint8Array): void {
    const text = this.#pending + this.#decoder.decode(bytes, { stream: true });
    const lines = text.split('\n');
    this.#pending = lines.pop() ?? '';
    for (const line of lines) this.#emit(line);
  }

  flush(): void {
    const rest = this.#pending + this.#decoder.decode();
    this.#pending = '';
    if (rest.length > 0) this.#emit(rest);
  }
}
