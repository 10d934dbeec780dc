/**
 * The leak detector inside a running pool: reused answers replayed on fresh instances outside the
 * pool, in every mode, without touching the pool's instances, counters or events.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import type { LeakChecked } from '../../protocol/index.ts';
import { send } from './support/http-client.ts';
import {
  assertFailsOnlyOnReuse,
  eventsOf,
  ONE_REUSED_INSTANCE,
  sendAndSettle,
  serveForTest,
  skipCounts,
} from './support/serve.ts';

/** Serial reuse of one instance, kept however slow the machine is. */
test('mode all: every reused answer of demo:counter is a finding, and the pool never sees a replay', async () => {
  const server = await serveForTest('demo:counter', ONE_REUSED_INSTANCE, { leakDetection: { mode: 'all' } });
  const bodies = (await sendAndSettle(server, 5)).map((answer) => answer.body);
  // The pool's one instance counted on undisturbed: replays ran elsewhere.
  assert.deepEqual(bodies, ['count=1', 'count=2', 'count=3', 'count=4', 'count=5']);
  const checks = eventsOf(server.events, 'leak.checked');
  assert.deepEqual(
    checks.map((c) => [c.reuseIndex, c.verdict]),
    [
      [2, 'leak'],
      [3, 'leak'],
      [4, 'leak'],
      [5, 'leak'],
    ],
  );
  assert.deepEqual(checks[0]!.differences, ['body: "count=2" on the reused instance, "count=1" on a fresh one']);
  assert.equal(checks[0]!.method, 'GET');
  assert.equal(checks[0]!.uri, '/');
  // The finding carries the request as it was replayed.
  assert.ok(
    checks[0]!.requestHeaders.some(([name, value]) => name === 'host' && value === new URL(server.url()).host),
    JSON.stringify(checks[0]!.requestHeaders),
  );
  assert.equal(checks[0]!.requestBodyBytes, 0);
  // Replay isolation: one instance spawned, 5 requests received and accepted, counters untouched.
  assert.equal(eventsOf(server.events, 'worker.spawned').length, 1);
  assert.equal(eventsOf(server.events, 'request.received').length, 5);
  assert.deepEqual(
    eventsOf(server.events, 'request.accepted').map((e) => e.reuseCount),
    [1, 2, 3, 4, 5],
  );
  assert.deepEqual(server.pool.gauges(), {
    liveInstances: 1,
    availableWorkers: 1,
    queueDepth: 0,
    inFlight: 0,
    waitingForStart: 0,
  });
  assert.ok(
    server.stderr.some((line) => line === 'leak: request 1 (GET /), instance 0, reuse #2'),
    server.stderr.join('\n'),
  );
  await server.close();
});

test('a guest without leaks comes out clean under every reused answer', async () => {
  const server = await serveForTest('demo:hello', ONE_REUSED_INSTANCE, { leakDetection: { mode: 'all' } });
  await sendAndSettle(server, 4);
  assert.deepEqual(
    eventsOf(server.events, 'leak.checked').map((c) => c.verdict),
    ['same', 'same', 'same'],
  );
  await server.close();
});

test('mode off replays nothing; switching to all live starts replaying', async () => {
  const server = await serveForTest('demo:counter', ONE_REUSED_INSTANCE);
  await sendAndSettle(server, 3);
  assert.equal(eventsOf(server.events, 'leak.checked').length, 0);
  const bad = server.leaks.setSettings({ mode: 'sometimes' });
  assert.equal(bad.ok, false);
  assert.match(!bad.ok ? bad.error : '', /mode must be 'off', 'sample' or 'all'/);
  assert.equal(server.leaks.settings.mode, 'off', 'a bad patch changes nothing');
  assert.equal(server.leaks.setSettings({ mode: 'all' }).ok, true);
  await sendAndSettle(server, 2);
  assert.deepEqual(
    eventsOf(server.events, 'leak.checked').map((c) => c.reuseIndex),
    [4, 5],
  );
  await server.close();
});

test('mode sample replays about the asked fraction of reused answers', async () => {
  const server = await serveForTest('demo:counter', ONE_REUSED_INSTANCE, {
    leakDetection: { mode: 'sample', sampleRate: 0.5, maxReplaysPerSecond: 10_000 },
  });
  await sendAndSettle(server, 41);
  const checked = eventsOf(server.events, 'leak.checked').length;
  // 40 reused answers at 1/2: outside 8..32 has a probability below 1e-4.
  assert.ok(checked >= 8 && checked <= 32, `${checked} of 40 replayed`);
  await server.close();
});

test('requests with side effects are not replayed unless asked, and skips are counted', async () => {
  const server = await serveForTest('demo:echo', ONE_REUSED_INSTANCE, { leakDetection: { mode: 'all' } });
  await sendAndSettle(server, 3, { method: 'POST' });
  assert.equal(eventsOf(server.events, 'leak.checked').length, 0);
  server.leaks.setSettings({ replayUnsafeMethods: true });
  await sendAndSettle(server, 2, { method: 'POST' });
  assert.deepEqual(
    eventsOf(server.events, 'leak.checked').map((c: LeakChecked) => [c.method, c.verdict, c.requestBodyBytes]),
    [
      ['POST', 'same', 0],
      ['POST', 'same', 0],
    ],
  );
  await server.close(); // reports the skips not yet reported
  // Only reused answers count: the first POST was a fresh instance's, nothing to replay anyway.
  assert.deepEqual(skipCounts(server), { 'unsafe-method': 2 });
});

test('sequential traffic is checked in full: 8 requests to demo:counter back to back, 7 of 7 reused answers checked', async () => {
  // The case: with one replay slot and no queue, this gave `checked 1, skipped 6`.
  const server = await serveForTest('demo:counter', ONE_REUSED_INSTANCE, { leakDetection: { mode: 'all' } });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  // Back to back, without waiting for replays: answers that find the one slot busy queue.
  const bodies: string[] = [];
  for (let i = 0; i < 8; i++) bodies.push((await send(server.url(), { agent })).body);
  agent.destroy();
  await server.leaks.idle();
  await server.close();
  assert.deepEqual(bodies, ['count=1', 'count=2', 'count=3', 'count=4', 'count=5', 'count=6', 'count=7', 'count=8']);
  const checks = eventsOf(server.events, 'leak.checked');
  assert.deepEqual(
    checks.map((c) => [c.reuseIndex, c.verdict]),
    [2, 3, 4, 5, 6, 7, 8].map((reuse) => [reuse, 'leak']),
  );
  assert.equal(checks.at(-1)?.pending, 0, 'the last check leaves nothing pending');
  assert.deepEqual(skipCounts(server), {});
});

test('replays are bounded: at most maxConcurrentReplays run, the rest of a burst queue and are all checked', async () => {
  const server = await serveForTest('demo:hello', ONE_REUSED_INSTANCE, {
    leakDetection: { mode: 'all', maxConcurrentReplays: 1, maxReplaysPerSecond: 10_000 },
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  for (let i = 0; i < 20; i++) await send(server.url(), { agent });
  agent.destroy();
  await server.leaks.idle();
  await server.close();
  const checks = eventsOf(server.events, 'leak.checked');
  assert.deepEqual(
    checks.map((c) => c.reuseIndex),
    Array.from({ length: 19 }, (_, i) => i + 2),
    'every reused answer, in order',
  );
  assert.deepEqual(skipCounts(server), {});
});

test('with maxQueuedReplays 0 an answer that finds the only slot busy is skipped as queue-full', async () => {
  const server = await serveForTest('demo:hello', ONE_REUSED_INSTANCE, {
    leakDetection: { mode: 'all', maxConcurrentReplays: 1, maxQueuedReplays: 0, maxReplaysPerSecond: 10_000 },
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  for (let i = 0; i < 20; i++) await send(server.url(), { agent });
  agent.destroy();
  await server.close();
  const checked = eventsOf(server.events, 'leak.checked').length;
  const full = skipCounts(server)['queue-full'] ?? 0;
  assert.ok(checked >= 1, 'the first reused answer found a free slot');
  assert.equal(checked + full, 19, `${checked} replayed + ${full} skipped = every reused answer`);
});

test('answers over the replay rate wait for the budget: every reused answer is checked, none skipped', async () => {
  const rate = 2;
  const server = await serveForTest('demo:hello', ONE_REUSED_INSTANCE, {
    leakDetection: { mode: 'all', maxReplaysPerSecond: rate },
  });
  // Each request waits for the replays before it, so only the rate holds a replay back.
  await sendAndSettle(server, 8);
  await server.close();
  const checks = eventsOf(server.events, 'leak.checked');
  assert.equal(checks.length, 7, 'every reused answer replayed');
  assert.deepEqual(skipCounts(server), {});
  // The limiter held: after a second's worth (the bucket), one replay per 1/rate s at most. A
  // slow machine only spreads them further.
  const starts = checks.map((c) => c.t - c.replayMs);
  const spread = (starts.at(-1) ?? 0) - (starts[0] ?? 0);
  assert.ok(spread >= ((checks.length - rate) / rate) * 1000 - 50, `7 replays started over ${spread} ms`);
});

test('a replay rate below one a second: the first reused answer is replayed, the next wait for the budget', async () => {
  // One replay per 100 s: the two after the first wait in the queue, and stopping drops them.
  const server = await serveForTest('demo:counter', ONE_REUSED_INSTANCE, {
    leakDetection: { mode: 'all', maxReplaysPerSecond: 0.01 },
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  for (let i = 0; i < 4; i++) await send(server.url(), { agent });
  agent.destroy();
  await server.close();
  assert.equal(eventsOf(server.events, 'leak.checked').length, 1, 'the first reused answer is replayed');
  assert.deepEqual(skipCounts(server), { stopped: 2 }, 'the next two waited, and were dropped when the pool stopped');
});

test('a reused instance that traps where a fresh one answers is a finding of its own kind: failed-on-reuse', async () => {
  const server = await serveForTest('demo:works-once', ONE_REUSED_INSTANCE, { leakDetection: { mode: 'all' } });
  await assertFailsOnlyOnReuse(server, /^failed \(trap\): .*wasm trap: wasm `unreachable` instruction executed$/);
  assert.deepEqual(skipCounts(server), {});
  await server.close();
});

test('a guest that fails on fresh instances too is no leak: both failed is the same', async () => {
  const server = await serveForTest('demo:never-set', ONE_REUSED_INSTANCE, { leakDetection: { mode: 'all' } });
  await sendAndSettle(server, 3);
  assert.deepEqual(
    eventsOf(server.events, 'leak.checked').map((c) => [c.verdict, c.differences]),
    [
      ['same', []],
      ['same', []],
    ],
  );
  await server.close();
});
