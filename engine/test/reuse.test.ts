/** Serial reuse of WASIp2 instances, their retirement, the watchdog and live knob changes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { send, sendSequential } from './support/http-client.ts';
import { eventsOf, ONE_REUSED_INSTANCE, serveForTest } from './support/serve.ts';

/** Serial reuse across requests must not depend on the machine being fast: no idle retirements. */
const PATIENT = { idleInstanceTimeoutMs: 60_000 };

test('counter with reuse 128: one instance counts 1, 2, 3, ...', async () => {
  const server = await serveForTest('demo:counter', ONE_REUSED_INSTANCE);
  const bodies = (await sendSequential(server.url(), 5)).map((r) => r.body);
  assert.deepEqual(bodies, ['count=1', 'count=2', 'count=3', 'count=4', 'count=5']);
  assert.equal(eventsOf(server.events, 'worker.spawned').length, 1);
  await server.close();
});

test('counter with reuse 1: every request sees a fresh instance', async () => {
  const server = await serveForTest('demo:counter');
  const bodies = (await sendSequential(server.url(), 4)).map((r) => r.body);
  assert.deepEqual(bodies, ['count=1', 'count=1', 'count=1', 'count=1']);
  await server.close();
  assert.equal(eventsOf(server.events, 'worker.spawned').length, 4);
});

test('exhausting the reuse count retires the instance after exactly N requests', async () => {
  const server = await serveForTest('demo:counter', { ...ONE_REUSED_INSTANCE, maxInstanceReuseCount: 3 });
  const bodies = (await sendSequential(server.url(), 6)).map((r) => r.body);
  assert.deepEqual(bodies, ['count=1', 'count=2', 'count=3', 'count=1', 'count=2', 'count=3']);
  await server.close();
  const exits = eventsOf(server.events, 'worker.exit');
  assert.deepEqual(
    exits.map((e) => [e.instanceId, e.cause, e.served]),
    [
      [0, 'drained', 3],
      [1, 'drained', 3],
    ],
  );
  const draining = eventsOf(server.events, 'worker.draining');
  assert.ok(draining.some((e) => e.instanceId === 0 && e.cause === 'reuse-exhausted'));
});

test('the idle timeout retires an idle instance; the next request gets a new one', async () => {
  const server = await serveForTest('demo:counter', { maxInstanceReuseCount: 128, idleInstanceTimeoutMs: 50 });
  assert.equal((await send(server.url())).body, 'count=1');
  const exit = await server.waitFor((e) => e.type === 'worker.exit');
  assert.ok(exit.type === 'worker.exit' && exit.cause === 'idle-timeout' && exit.served === 1);
  assert.equal((await send(server.url())).body, 'count=1');
  const spawned = eventsOf(server.events, 'worker.spawned');
  assert.deepEqual(
    spawned.map((e) => e.instanceId),
    [0, 1],
  );
  await server.close();
});

test('spin with a request timeout: 5xx, the watchdog kills the instance, the next request gets a new one', async () => {
  const server = await serveForTest('demo:spin', { maxInstanceReuseCount: 128, requestTimeoutMs: 200, ...PATIENT });
  const stuck = await send(server.url('/')); // spins forever
  assert.ok(stuck.status >= 500);
  assert.match(stuck.body, /guest timed out/);
  const exit = await server.waitFor((e) => e.type === 'worker.exit');
  assert.ok(exit.type === 'worker.exit' && exit.cause === 'watchdog' && exit.instanceId === 0);

  const quick = await send(server.url('/?ms=1'));
  assert.equal(quick.status, 200);
  const accepted = eventsOf(server.events, 'request.accepted');
  assert.deepEqual(
    accepted.map((e) => e.instanceId),
    [0, 1],
  );
  await server.close();
});

test('a trap kills only its own instance; the other instance keeps its state and serves on', async () => {
  const server = await serveForTest('demo:counter', { maxInstanceReuseCount: 128, ...PATIENT });
  // Two at once: WASIp2 concurrency is 1, so two instances start, each counting 1.
  const first = await Promise.all([send(server.url()), send(server.url())]);
  assert.deepEqual(first.map((r) => r.body).sort(), ['count=1', 'count=1']);
  assert.equal(eventsOf(server.events, 'worker.spawned').length, 2);

  const trapped = await send(server.url('/trap'));
  assert.equal(trapped.status, 500);
  assert.match(trapped.body, /wasm trap/);
  const exit = await server.waitFor((e) => e.type === 'worker.exit');
  assert.ok(exit.type === 'worker.exit' && exit.cause === 'trap');

  // The survivor still counts where it left off; no new instance was needed.
  assert.deepEqual(
    (await sendSequential(server.url(), 2)).map((r) => r.body),
    ['count=2', 'count=3'],
  );
  assert.equal(eventsOf(server.events, 'worker.spawned').length, 2);
  const survivor = eventsOf(server.events, 'request.accepted').at(-1)!.instanceId;
  assert.notEqual(survivor, exit.type === 'worker.exit' ? exit.instanceId : -1);
  await server.close();
});

test('knobs change live: lowering the reuse count retires the instance at once', async () => {
  const server = await serveForTest('demo:counter', ONE_REUSED_INSTANCE);
  assert.deepEqual(
    (await sendSequential(server.url(), 3)).map((r) => r.body),
    ['count=1', 'count=2', 'count=3'],
  );
  const result = server.pool.setKnobs({ maxInstanceReuseCount: 2 });
  assert.equal(result.ok, true);
  const exit = await server.waitFor((e) => e.type === 'worker.exit');
  assert.ok(exit.type === 'worker.exit' && exit.cause === 'drained' && exit.served === 3);
  assert.deepEqual(
    (await sendSequential(server.url(), 3)).map((r) => r.body),
    ['count=1', 'count=2', 'count=1'],
  );
  await server.close();
});

test('an invalid knob value is refused with a precise message and changes nothing', async () => {
  const server = await serveForTest('demo:counter', { maxInstanceReuseCount: 5, ...PATIENT });
  const zero = server.pool.setKnobs({ maxInstanceReuseCount: 0 });
  assert.equal(zero.ok, false);
  assert.match(!zero.ok ? zero.error : '', /max-instance-reuse-count must be at least 1/);
  const negative = server.pool.setKnobs({ idleInstanceTimeoutMs: -1 });
  assert.equal(negative.ok, false);
  const unknown = server.pool.setKnobs({ maxWidgets: 3 });
  assert.equal(unknown.ok, false);
  assert.equal(server.pool.knobs.maxInstanceReuseCount, 5);
  assert.equal((await send(server.url())).body, 'count=1');
  await server.close();
});

test('--max-concurrent-requests holds extra requests at the front door', async () => {
  const server = await serveForTest('demo:sleep', { maxConcurrentRequests: 1, maxInstanceReuseCount: 128, ...PATIENT });
  const responses = await Promise.all([
    send(server.url('/?ms=30')),
    send(server.url('/?ms=30')),
    send(server.url('/?ms=30')),
  ]);
  assert.ok(responses.every((r) => r.status === 200));
  const maxInFlight = Math.max(...eventsOf(server.events, 'pool.gauges').map((g) => g.inFlight));
  assert.equal(maxInFlight, 1);
  assert.equal(
    eventsOf(server.events, 'worker.spawned').length,
    1,
    'one request at a time never needs a second instance',
  );
  await server.close();
});

test('every request is settled exactly once, with events tying requests to instances', async () => {
  const server = await serveForTest('demo:hello', { maxInstanceReuseCount: 4 });
  await Promise.all(Array.from({ length: 12 }, () => send(server.url())));
  await server.close();
  const received = eventsOf(server.events, 'request.received').map((e) => e.requestId);
  const responded = eventsOf(server.events, 'request.responded').map((e) => e.requestId);
  const failed = eventsOf(server.events, 'request.failed').map((e) => e.requestId);
  assert.equal(received.length, 12);
  assert.deepEqual(
    [...responded, ...failed].sort((a, b) => a - b),
    [...received].sort((a, b) => a - b),
  );
  const seqs = server.events.map((e) => e.seq);
  assert.deepEqual(
    seqs,
    [...seqs].sort((a, b) => a - b),
    'events arrive in sequence order',
  );
});
