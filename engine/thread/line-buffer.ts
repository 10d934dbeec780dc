import { OUTPUT_LINE_COST, OutputBudget } from './output-budget.ts';

/** The longest line forwarded whole: 64 KiB of UTF-8. The rest of a longer line is dropped and counted. */
export const MAX_LINE_BYTES = 64 * 1024;

const NEWLINE = 0x0a;
const MAX_PENDING_CHUNKS = 256;

export interface LineBufferOptions {
  maxLineBytes?: number;
  /** Bounds how fast lines are emitted; lines over it are dropped and counted. */
  budget?: OutputBudget;
}

/**
 * Turns a guest's raw writes into whole lines, as wasmtime's LogStream does: partial writes are
 * joined until a newline, and what is left is flushed when the instance ends.
 *
 * Bounded and linear: pending bytes are kept as a list of chunks (joined once, at the newline),
 * at most `maxLineBytes` of a line are kept, and the line ends with
 * `… [line truncated: N more bytes]`. Lines are cut on bytes, and a newline byte never occurs
 * inside a multi-byte UTF-8 character, so a character split across writes decodes whole.
 * Lines beyond the stream's `OutputBudget` are dropped, and a line `… [output dropped: …]` counts them.
 */
export class LineBuffer {
  readonly #decoder = new TextDecoder();
  readonly #emit: (line: string) => void;
  readonly #maxLineBytes: number;
  readonly #budget: OutputBudget;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  /** Bytes of the current line beyond the cap. */
  #truncated = 0;
  #droppedLines = 0;
  #droppedBytes = 0;

  constructor(emit: (line: string) => void, options: LineBufferOptions = {}) {
    this.#emit = emit;
    this.#maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
    this.#budget = options.budget ?? new OutputBudget();
  }

  write(bytes: Uint8Array): void {
    let start = 0;
    for (;;) {
      const newline = bytes.indexOf(NEWLINE, start);
      this.#append(bytes, start, newline === -1 ? bytes.length : newline);
      if (newline === -1) return;
      this.#endLine();
      start = newline + 1;
    }
  }

  flush(): void {
    if (this.#pendingBytes > 0 || this.#truncated > 0) this.#endLine();
    this.#reportDropped();
  }

  #append(bytes: Uint8Array, start: number, end: number): void {
    const keep = Math.min(end - start, this.#maxLineBytes - this.#pendingBytes);
    // A copy: the caller's buffer may be large (a view would keep all of it alive) or reused.
    if (keep > 0) this.#pending.push(bytes.slice(start, start + keep));
    this.#pendingBytes += keep;
    // Byte-at-a-time writes would leave one small array per byte: join now and then (the cap bounds the cost).
    if (this.#pending.length >= MAX_PENDING_CHUNKS) this.#pending = [join(this.#pending, this.#pendingBytes)];
    this.#truncated += end - start - keep;
  }

  #endLine(): void {
    let bytes = join(this.#pending, this.#pendingBytes);
    let truncated = this.#truncated;
    if (truncated > 0) {
      // The cap may have cut a character: leave all of it to the count.
      const whole = wholeCharacters(bytes);
      truncated += bytes.length - whole;
      bytes = bytes.subarray(0, whole);
    }
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#truncated = 0;
    if (!this.#budget.take(bytes.length + OUTPUT_LINE_COST)) {
      this.#droppedLines++;
      this.#droppedBytes += bytes.length + truncated;
      return;
    }
    this.#reportDropped();
    const text = this.#decoder.decode(bytes);
    this.#emit(truncated > 0 ? `${text} … [line truncated: ${truncated} more bytes]` : text);
  }

  #reportDropped(): void {
    if (this.#droppedLines === 0) return;
    this.#emit(
      `… [output dropped: ${this.#droppedLines} lines, ${this.#droppedBytes} bytes, over the ${rate(this.#budget.bytesPerSecond)} output limit]`,
    );
    this.#droppedLines = 0;
    this.#droppedBytes = 0;
  }
}

function join(chunks: Uint8Array[], length: number): Uint8Array {
  // biome-ignore lint/style/noNonNullAssertion: length === 1
  if (chunks.length === 1) return chunks[0]!;
  const joined = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.length;
  }
  return joined;
}

/** The length of `bytes` without a trailing, incomplete UTF-8 character. */
function wholeCharacters(bytes: Uint8Array): number {
  // Find the lead byte of the last character (at most 3 continuation bytes after it).
  let lead = bytes.length - 1;
  // biome-ignore lint/style/noNonNullAssertion: lead >= 0, and lead < length
  while (lead >= 0 && bytes.length - lead <= 4 && (bytes[lead]! & 0xc0) === 0x80) lead--;
  if (lead < 0 || bytes.length - lead > 4) return bytes.length; // not UTF-8 here: cut anywhere
  // biome-ignore lint/style/noNonNullAssertion: lead >= 0 here (checked above), and lead < length
  const b = bytes[lead]!;
  const size = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
  return lead + size <= bytes.length ? bytes.length : lead;
}

function rate(bytesPerSecond: number): string {
  const MiB = 1024 * 1024;
  return bytesPerSecond % MiB === 0 ? `${bytesPerSecond / MiB} MiB/s` : `${bytesPerSecond} bytes/s`;
}
