/** LineBuffer: lines from a guest's raw writes, linear in the bytes written, each line capped, the rate bounded. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LineBuffer, MAX_LINE_BYTES } from './line-buffer.ts';
import { OUTPUT_BURST_BYTES, OUTPUT_BYTES_PER_SECOND, OUTPUT_LINE_COST, OutputBudget } from './output-budget.ts';

const MiB = 1024 * 1024;
const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

function collect(options?: ConstructorParameters<typeof LineBuffer>[1]): { lines: string[]; buffer: LineBuffer } {
  const lines: string[] = [];
  return { lines, buffer: new LineBuffer((line) => lines.push(line), options) };
}

describe('LineBuffer', () => {
  it('joins partial writes into lines and flushes the rest', () => {
    const { lines, buffer } = collect();
    for (const piece of ['this is half a print ', 'to stdout\n', '\n', 'after empty\nstart ', '1', '2'])
      buffer.write(encode(piece));
    assert.deepEqual(lines, ['this is half a print to stdout', '', 'after empty']);
    buffer.flush();
    assert.deepEqual(lines, ['this is half a print to stdout', '', 'after empty', 'start 12']);
    buffer.flush();
    assert.equal(lines.length, 4, 'nothing left to flush');
  });

  it('states its defaults: 64 KiB lines, 1 MiB/s with a 4 MiB burst', () => {
    assert.equal(MAX_LINE_BYTES, 64 * 1024);
    assert.equal(OUTPUT_BYTES_PER_SECOND, MiB);
    assert.equal(OUTPUT_BURST_BYTES, 4 * MiB);
  });

  it('takes 100 MB with no newline in 64 KiB writes (linear), keeping 64 KiB of it and counting the rest', () => {
    const { lines, buffer } = collect();
    const chunk = new Uint8Array(64 * 1024).fill(0x78); // "xxx…"
    const total = 100 * 1000 * 1000;
    let written = 0;
    while (written < total) {
      const piece = chunk.subarray(0, Math.min(chunk.length, total - written));
      buffer.write(piece);
      written += piece.length;
    }
    buffer.write(encode('\nnext line\n'));
    assert.equal(lines.length, 2);
    assert.equal(lines[0], `${'x'.repeat(MAX_LINE_BYTES)} … [line truncated: ${total - MAX_LINE_BYTES} more bytes]`);
    assert.equal(lines[1], 'next line');
  });

  it('takes a long line one byte per write', () => {
    const { lines, buffer } = collect();
    const byte = Uint8Array.of(0x7a);
    for (let i = 0; i < MAX_LINE_BYTES + 1000; i++) buffer.write(byte);
    buffer.write(encode('\n'));
    assert.deepEqual(lines, [`${'z'.repeat(MAX_LINE_BYTES)} … [line truncated: 1000 more bytes]`]);
  });

  it('truncates a line flushed at the end, too', () => {
    const { lines, buffer } = collect({ maxLineBytes: 4 });
    buffer.write(encode('abcdefg'));
    buffer.flush();
    assert.deepEqual(lines, ['abcd … [line truncated: 3 more bytes]']);
  });

  it('decodes UTF-8 characters split across writes', () => {
    const { lines, buffer } = collect();
    const text = 'é€😀 naïve\n';
    for (const byte of encode(text)) buffer.write(Uint8Array.of(byte));
    const bytes = encode('😀😀\n');
    buffer.write(bytes.subarray(0, 3));
    buffer.write(bytes.subarray(3, 6));
    buffer.write(bytes.subarray(6));
    assert.deepEqual(lines, ['é€😀 naïve', '😀😀']);
  });

  it('never cuts a character at the cap: the whole character goes to the count', () => {
    const { lines, buffer } = collect({ maxLineBytes: 5 });
    buffer.write(encode('aaaa€b\n')); // € is 3 bytes: 4 + 3 + 1
    buffer.write(encode('aa😀x\n')); // 😀 is 4 bytes, ends at byte 6: 5 cuts it
    buffer.write(encode('€€\n')); // 6 bytes; 5 keeps one whole €
    assert.deepEqual(lines, [
      'aaaa … [line truncated: 4 more bytes]',
      'aa … [line truncated: 5 more bytes]',
      '€ … [line truncated: 3 more bytes]',
    ]);
  });

  it('drops lines over the rate, says how many, and lets lines through again once the budget refills', () => {
    let now = 0;
    const budget = new OutputBudget({ bytesPerSecond: 1000, burstBytes: 1000, now: () => now });
    const { lines, buffer } = collect({ budget });
    const line = 'y'.repeat(100 - OUTPUT_LINE_COST); // costs exactly 100
    for (let i = 0; i < 25; i++) buffer.write(encode(`${line}\n`));
    assert.equal(lines.length, 10, 'the burst: 10 lines');
    now += 500; // refills 500: the note, then 5 lines
    for (let i = 0; i < 25; i++) buffer.write(encode(`${line}\n`));
    assert.equal(
      lines[10],
      `… [output dropped: 15 lines, ${15 * line.length} bytes, over the 1000 bytes/s output limit]`,
    );
    assert.equal(lines.length, 16);
    buffer.flush();
    assert.equal(
      lines[16],
      `… [output dropped: 20 lines, ${20 * line.length} bytes, over the 1000 bytes/s output limit]`,
      'flush reports what is left',
    );
    assert.equal(lines.length, 17);
  });
});
