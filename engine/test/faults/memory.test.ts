/**
 * Guest linear memory is bounded (wasmtime's `-W max-memory-size`, default 256 MiB per memory):
 * the memory-bomb guest grows toward 4 GiB on every request, and must stop at the limit with
 * `memory.grow` returning -1 while its instance, and the process, carry on.
 *
 * Memory bound: this test process's peak RSS (it hosts the instances' threads) stays under
 * 2 GiB with two bombed instances at 256 MiB each; without the limit one instance alone
 * touches 4 GiB.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { DashboardSession } from '../../bridge/dashboard-session.ts';
import { ComponentLoadError } from '../../component/errors.ts';
import { DEFAULT_MAX_MEMORY_BYTES, WASM_PAGE_BYTES } from '../../component/memory-limit.ts';
import { InvalidKnobsError, startServing } from '../../serve.ts';
import type { PoolEvent } from '../../../protocol/index.ts';
import { wasmOption, wasmtimeBytes } from '../../cli/parse.ts';
import { runCli } from '../support/cli.ts';
import { send } from '../support/http-client.ts';
import { eventsOf, serveForTest } from '../support/serve.ts';

const MiB = 1024 * 1024;
const PEAK_RSS_BOUND = 2 * 1024 * MiB;
const CLI_PEAK_RSS_BOUND = 1024 * MiB;
const DEFAULT_PAGES = DEFAULT_MAX_MEMORY_BYTES / WASM_PAGE_BYTES;

/** Peak resident set of this process so far (the kernel's high-water mark, not a sample). */
function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

test('the memory bomb stops at the default limit; its instance and the server live on', async () => {
  // A long idle timeout: the second request must find the instance even on a starved machine.
  const server = await serveForTest('demo:memory-bomb', { maxInstanceReuseCount: 2, idleInstanceTimeoutMs: 60_000 });
  // Two instances at once (p2: one request per instance), each bombed to the limit.
  const concurrent = await Promise.all([send(server.url('/a')), send(server.url('/b'))]);
  assert.deepEqual(
    concurrent.map((r) => [r.status, r.body]),
    [
      [200, `pages=${DEFAULT_PAGES}`],
      [200, `pages=${DEFAULT_PAGES}`],
    ],
  );

  // A second request on an instance already at the limit: every grow is refused, it still answers.
  const accepted = eventsOf(server.events, 'request.accepted');
  const again = await send(server.url('/c'));
  assert.deepEqual([again.status, again.body], [200, `pages=${DEFAULT_PAGES}`]);
  const third = await server.waitFor(
    (e): e is Extract<PoolEvent, { type: 'request.accepted' }> => e.type === 'request.accepted' && e.requestId === 2,
  );
  assert.ok(
    accepted.some((e) => e.instanceId === third.instanceId),
    'served by an instance that had already hit the limit',
  );
  assert.equal(third.reuseCount, 2);

  // What the dashboard's cards show: each instance's memory, at the limit and not past it.
  // (Sizes after requests; the size at instantiation, one page, is reported too.)
  const sizes = eventsOf(server.events, 'worker.memory')
    .filter((e) => e.requestsDone > 0)
    .map((e) => e.bytes);
  assert.ok(
    sizes.length >= 2 && sizes.every((bytes) => bytes === DEFAULT_MAX_MEMORY_BYTES),
    `worker.memory: ${sizes.join(', ')}`,
  );
  assert.equal(server.component.maxMemoryBytes, DEFAULT_MAX_MEMORY_BYTES);

  // Still serving: a fresh instance answers a plain request.
  const plain = await send(server.url('/'));
  assert.equal(plain.status, 200);
  assert.ok(eventsOf(server.events, 'request.failed').length === 0, 'no request failed');
  await server.close();
  assert.ok(
    peakRssBytes() < PEAK_RSS_BOUND,
    `peak RSS ${(peakRssBytes() / MiB).toFixed(0)} MiB, bound ${PEAK_RSS_BOUND / MiB} MiB`,
  );
});

test('each load compiles under its own limit: the same guest in one process under 8 MiB, then 16 MiB', async () => {
  for (const limit of [8 * MiB, 16 * MiB]) {
    const serving = await startServing({
      component: 'demo:memory-bomb',
      maxMemoryBytes: limit,
      listen: { host: '127.0.0.1', port: 0 },
    });
    try {
      const answer = await send(serving.frontDoor.url);
      assert.equal(answer.body, `pages=${limit / WASM_PAGE_BYTES}`);
    } finally {
      await serving.close();
    }
  }
});

test("a limit under a guest's minimum is refused at load, with the limit and the flag named", async () => {
  // demo:memory-bomb declares one page; a limit of 65535 bytes rounds down to none.
  await assert.rejects(
    startServing({
      component: 'demo:memory-bomb',
      maxMemoryBytes: WASM_PAGE_BYTES - 1,
      listen: { host: '127.0.0.1', port: 0 },
    }),
    (error: unknown) =>
      error instanceof ComponentLoadError &&
      error.message ===
        'demo:memory-bomb cannot be served: its linear memory 0 starts at 1 page (64 KiB), over the guest memory limit of 0 pages (0 B) (-W max-memory-size=65535); raise the limit to at least 65536',
  );
  await assert.rejects(
    startServing({ component: 'demo:memory-bomb', maxMemoryBytes: -1, listen: { host: '127.0.0.1', port: 0 } }),
    (error: unknown) =>
      error instanceof InvalidKnobsError && error.message === 'max-memory-size must be a whole number of bytes, got -1',
  );
});

test("the dashboard's load keeps the session's limit, and its snapshot reports it", async () => {
  const session = new DashboardSession({
    component: 'demo:hello',
    maxMemoryBytes: 1 * MiB,
    listen: { host: '127.0.0.1', port: 0 },
  });
  await session.start();
  try {
    assert.equal(session.snapshot().component?.maxMemoryBytes, 1 * MiB);
    await session.execute({ type: 'load', component: 'demo:memory-bomb' });
    const answer = await send(session.serving!.frontDoor.url);
    assert.equal(answer.body, 'pages=16');
    // A guest the limit refuses (a StarlingMonkey/QuickJS guest starts above 1 MiB) leaves the current one serving.
    await assert.rejects(
      session.execute({ type: 'load', component: 'demo:p3-hello' }),
      /demo:p3-hello cannot be served: its linear memory 0 starts at \d+ pages .*, over the guest memory limit of 16 pages \(1\.0 MiB\)/,
    );
    assert.equal(session.snapshot().component?.spec, 'demo:memory-bomb');
    assert.equal((await send(session.serving!.frontDoor.url)).status, 200);
  } finally {
    await session.close();
  }
});

test('CLI: -W max-memory-size=BYTES bounds the bomb; same instance again, then a plain request', async () => {
  const run = runCli([
    'serve',
    'demo:memory-bomb',
    '--addr',
    '127.0.0.1:0',
    '--max-instance-reuse-count',
    '2',
    '--idle-instance-timeout',
    '60s',
    '-W',
    'max-memory-size=16777216',
    '--events',
    '-',
  ]);
  const url = await run.serving;
  const first = await send(url);
  const second = await send(url);
  assert.deepEqual([first.body, second.body], ['pages=256', 'pages=256']);
  assert.equal((await send(url)).status, 200, 'a plain request, on a fresh instance');
  const status = await readFile(`/proc/${run.child.pid}/status`, 'utf8');
  const peak = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]) * 1024;
  run.child.kill('SIGTERM');
  const exit = await run.exited;
  assert.equal(exit.code, 0, exit.stderr);
  assert.ok(
    peak < CLI_PEAK_RSS_BOUND,
    `CLI peak RSS ${(peak / MiB).toFixed(0)} MiB, bound ${CLI_PEAK_RSS_BOUND / MiB} MiB`,
  );
  const accepted = exit.stdout
    .split('\n')
    .filter((line) => line.includes('"type":"request.accepted"'))
    .map((line) => JSON.parse(line) as { requestId: number; instanceId: number });
  assert.equal(
    accepted.find((e) => e.requestId === 1)?.instanceId,
    accepted.find((e) => e.requestId === 0)?.instanceId,
    'the second request reused the bombed instance',
  );
});

test("CLI: a limit under the guest's minimum is refused with the precise message", async () => {
  // wasmtime's hex syntax; demo:memory-bomb declares one 64 KiB page.
  const refused = await runCli(['serve', 'demo:memory-bomb', '--addr', '127.0.0.1:0', '-W', 'max-memory-size=0x8000'])
    .exited;
  assert.equal(refused.code, 1);
  assert.equal(
    refused.stderr.trim(),
    'error: demo:memory-bomb cannot be served: its linear memory 0 starts at 1 page (64 KiB), over the guest memory limit of 0 pages (0 B) (-W max-memory-size=32768); raise the limit to at least 65536',
  );
});

test('-W max-memory-size reads sizes as wasmtime does (bytes, 0x hex, _ separators), plus binary units', () => {
  assert.equal(wasmtimeBytes('268435456', '-W max-memory-size'), 256 * MiB);
  assert.equal(wasmtimeBytes('0x10000000', '-W max-memory-size'), 256 * MiB);
  assert.equal(wasmtimeBytes('268_435_456', '-W max-memory-size'), 256 * MiB);
  assert.equal(wasmtimeBytes('16MiB', '-W max-memory-size'), 16 * MiB);
  assert.deepEqual(wasmOption('max-memory-size=1GiB'), { 'max-memory-size': '1GiB' });
  assert.throws(
    () => wasmOption('max-memory-size=lots'),
    /^InvalidArgumentError: -W max-memory-size=lots: not a size: use bytes \(268435456, 0x10000000\) or a unit \(256MiB, 1GiB\)$/,
  );
  assert.throws(() => wasmOption('max-memory-size=-1'), /not a size/);
});
