/**
 * `node engine/bench/zoo.ts --quick` for one guest, as a smoke test: the script runs end to end
 * (cold and warm start, both reuse settings, the leak detector, the load) and prints its table.
 * The numbers are printed, never asserted; the counter's answers and the leak verdict are.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { runScriptEchoed } from '../test/support/child-output.ts';

const ZOO = fileURLToPath(new URL('./zoo.ts', import.meta.url));

test('the real-toolchain guests bench runs end to end for p3-counter and prints its row', {
  timeout: 600_000,
}, async () => {
  const { code, output } = await runScriptEchoed(ZOO, ['--quick', '--only', 'p3-counter']);
  const stdout = output.stdout();
  assert.equal(code, 0, output.stderr().slice(-2000));
  assert.match(stdout, /^Machine: \d+ CPUs .*load average at start [\d. ]+, at end [\d. ]+\.$/m);
  // guest | toolchain | world | size | correct@1 | correct@128 | leak verdict | cold | warm | req/s | peak RSS
  assert.match(
    stdout,
    /^\| p3-counter \| componentize-qjs \(QuickJS\) \| WASIp3 \| [\d.]+ MiB \| yes \(3\/3\) \| yes \(3\/3\) \| differs \(2 leak\), as expected \[\d+\] \| [\d,]+ \/ [\d,.]+ \| [\d,]+ \/ [\d,.]+ \| [\d,]+ \| [\d,]+ \|$/m,
  );
  assert.match(stdout, /p3-counter, leak detector: body: "count=2" on the reused instance, "count=1" on a fresh one/);
});
