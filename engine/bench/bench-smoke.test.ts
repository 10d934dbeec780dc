/**
 * `npm run bench -- --quick` as a CI smoke test: every server starts, takes load and reports.
 * No thresholds: the numbers are printed, never asserted (a loaded CI machine is noisy).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { runScriptEchoed } from '../test/support/child-output.ts';

const BENCH = fileURLToPath(new URL('./bench.ts', import.meta.url));

test('the quick benchmark runs every scenario and prints the tables and ratios', { timeout: 600_000 }, async () => {
  const { code, output } = await runScriptEchoed(BENCH, ['--quick']);
  assert.equal(code, 0, output.stderr().slice(-2000));
  const all = output.text();
  assert.match(all, /\| Poolscope p2, reuse 128 \| [\d,]+ \|/);
  assert.match(all, /\| Poolscope p3, defaults/);
  assert.match(all, /reuse 128 \/ reuse 1/);
  // The componentize-js rows, instance start times (events are on for Poolscope rows) and the cold bursts.
  assert.match(all, /\| Poolscope js-hello, reuse 128 \| [\d,]+ \|/);
  assert.match(all, /\| Poolscope p2, reuse 128 \|(?: [^|]+ \|){6} [\d,.]+ \/ [\d,.]+ \|/);
  assert.match(all, /\| Poolscope js-hello, reuse 128 \| [\d,.]+ \| \d+ \/ 50 \| \d+ \|/);
  // The observer's cost: both rates and their ratio, or why it was skipped (no Chromium or built
  // dashboard). Printed, never compared with a target.
  assert.match(
    all,
    /Observer cost: .*\n\n(?:\| no dashboard req\/s .*\n\|.*\n\| [\d,]+ \| [\d,]+ \| [\d.]+× \| (?:[\d,]+|–) \||skipped: .+)/,
  );
  // …and the page's own cost (a fixed rate, then idle), when it ran.
  assert.match(
    all,
    /Observer cost: .*\n\n(?:[^]*\nThe page's own cost, Chromium CPU: (?:[\d.]+|–) cores under a fixed \d+ req\/s \(served: (?:[\d,]+|–)\), (?:[\d.]+|–) cores idle after the load\.|skipped: .+)/,
  );
});
