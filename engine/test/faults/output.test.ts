/**
 * Fault injection: a guest flooding its output (demo:flood) through the real server. One endless
 * line used to cost time quadratic in its length and memory linear in it (100 MB: 59 s, 1.24 GB);
 * now a line keeps at most 64 KiB, the rest is counted in its marker, and lines go to the pool at
 * a bounded rate, with what is dropped counted too.
 *
 * Memory bound: a 64 MiB line raises this process's peak RSS (getrusage's maxrss, so no peak is
 * missed) by less than 256 MiB over its RSS before the flood.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { ensureGuestsBuilt } from '../../../assets/guests/build.ts';
import type { PoolEvent } from '../../../protocol/index.ts';
import { MAX_LINE_BYTES } from '../../thread/line-buffer.ts';
import { OUTPUT_BURST_BYTES, OUTPUT_BYTES_PER_SECOND, OUTPUT_LINE_COST } from '../../thread/output-budget.ts';
import { serveForTest, type TestServer } from '../support/serve.ts';

const MiB = 1024 * 1024;
const PEAK_RSS_GROWTH_BOUND = 256 * MiB;
/** A hang guard, not a measurement. */
const HANG_GUARD = { timeout: 60_000 };

type Output = Extract<PoolEvent, { type: 'guest.output' }>;
type Exit = Extract<PoolEvent, { type: 'worker.exit' }>;
type Completed = Extract<PoolEvent, { type: 'request.completed' }>;

await ensureGuestsBuilt();
let server: TestServer;

before(async () => {
  // Reuse 1: every request gets a fresh instance, which exits after it and so flushes its last line.
  server = await serveForTest('demo:flood', { maxInstanceReuseCount: 1 });
});
after(async () => {
  await server.close();
});

/** One request on its own instance; resolves once that instance has exited (its output all emitted). */
async function flood(query: string): Promise<{ status: number; body: string; lines: string[] }> {
  const mark = server.events.at(-1)?.seq ?? -1;
  const response = await fetch(server.url(`/${query}`));
  const body = await response.text();
  const { instanceId } = await server.waitFor((e): e is Completed => e.type === 'request.completed' && e.seq > mark);
  await server.waitFor((e): e is Exit => e.type === 'worker.exit' && e.instanceId === instanceId);
  const lines = server.events
    .filter((e): e is Output => e.type === 'guest.output' && e.instanceId === instanceId)
    .map((e) => e.line);
  return { status: response.status, body, lines };
}

async function plainRequest(): Promise<void> {
  const { status, body } = await flood('?mb=0');
  assert.equal(status, 200);
  assert.equal(body, 'flooded 0 bytes');
}

describe('a guest flooding stdout', HANG_GUARD, () => {
  it('a 64 MiB line with no newline: 200, one line of 64 KiB with its marker, memory bounded; the server answers after', async () => {
    await plainRequest();
    const rssBefore = process.memoryUsage.rss();
    const peakBefore = process.resourceUsage().maxRSS * 1024;
    const { status, body, lines } = await flood('?mb=64');
    const peakAfter = process.resourceUsage().maxRSS * 1024;
    assert.equal(status, 200);
    assert.equal(body, `flooded ${64 * MiB} bytes`);
    assert.deepEqual(lines, [
      `${'x'.repeat(MAX_LINE_BYTES)} … [line truncated: ${64 * MiB - MAX_LINE_BYTES} more bytes]`,
    ]);
    assert.ok(
      peakAfter <= Math.max(peakBefore, rssBefore + PEAK_RSS_GROWTH_BOUND),
      `peak RSS ${(peakAfter / MiB).toFixed(0)} MiB, RSS before the flood ${(rssBefore / MiB).toFixed(0)} MiB`,
    );
    await plainRequest();
  });

  it('16 MiB of short lines: every line is emitted or counted as dropped, at no more than the rate allows', async () => {
    const started = performance.now();
    const { status, body, lines } = await flood('?mb=16&nl=64');
    const seconds = (performance.now() - started) / 1000;
    assert.equal(status, 200);
    assert.equal(body, `flooded ${16 * MiB} bytes`);
    const line = 'x'.repeat(63);
    let emitted = 0;
    let dropped = 0;
    for (const text of lines) {
      if (text === line) emitted++;
      else {
        const note = /^… \[output dropped: (\d+) lines, (\d+) bytes, over the 1 MiB\/s output limit\]$/.exec(text);
        assert.ok(note, `an unexpected line: ${text.slice(0, 80)}`);
        dropped += Number(note[1]);
        assert.equal(Number(note[2]), Number(note[1]) * 63);
      }
    }
    assert.equal(emitted + dropped, (16 * MiB) / 64, 'no line is lost without a count');
    // The token bucket's invariant: what went out never exceeds the burst plus the rate over the
    // instance's lifetime, which lies within [started, now].
    const allowed = OUTPUT_BURST_BYTES + OUTPUT_BYTES_PER_SECOND * seconds;
    assert.ok(emitted * (63 + OUTPUT_LINE_COST) <= allowed, `${emitted} lines in ${seconds.toFixed(1)} s`);
    await plainRequest();
  });
});
