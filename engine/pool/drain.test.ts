/**
 * Draining instances always exit, and the gauges count every waiting request (issue 16, "gauges
 * that tell the truth"). With the fakes of engine/pool/fakes.ts, as in proxy-handler.test.ts: the
 * test plays each instance's messages (or withholds them: a guest that never returns, a disposal
 * never confirmed) and moves a `FakeClock`; everything else is the production pool.
 *
 * Under load, instances sat in `draining` for minutes with no client left: a draining worker
 * exits only once its handlers return, its post-return work ends and its executor confirms the
 * disposal, and with no request timeout nothing bounded those. Each test below is one way that
 * held an instance; the drain deadline (policy.ts) now ends every one of them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PoolEvent } from '../../protocol/index.ts';
import { KILL_GRACE_MS } from './executor-pool.ts';
import { fakePool, microtasks } from './fake-pool.ts';
import { DRAIN_GRACE_MS } from './policy.ts';

function exitOf(events: PoolEvent[], instanceId: number): Extract<PoolEvent, { type: 'worker.exit' }> | undefined {
  return events.find(
    (event): event is Extract<PoolEvent, { type: 'worker.exit' }> =>
      event.type === 'worker.exit' && event.instanceId === instanceId,
  );
}

test('a drained instance whose handler never returns after its client left is killed at its drain deadline', () => {
  const { pool, clock, host, send, take, events } = fakePool('wasip2');
  const r0 = send();
  const i0 = host.instance(0);
  i0.instantiated();
  assert.deepEqual(take().slice(-2), ['i0 draining (reuse-exhausted)', 'i0 unavailable (reuse-limit)']);
  // While its client waits, the request is the user's to bound (no request timeout: no deadline).
  assert.equal(clock.nextDue, null);
  clock.advanceBy(60_000);
  // The client gives up; the guest goes on and never returns.
  r0.leave();
  assert.deepEqual(take(), ['r0 failed client-gone']);
  assert.equal(clock.advanceToNextTimer(), 60_000 + DRAIN_GRACE_MS);
  assert.deepEqual(take(), ['i0 unavailable (draining)', 'i0 exit (watchdog)']);
  assert.match(
    exitOf(events, 0)?.message ?? '',
    /drained instance still busy 10000 ms after its last client was answered \(1 handler\(s\) never returned\)/,
  );
  assert.equal(i0.killedWithGrace, KILL_GRACE_MS, 'the instance is interrupted on its executor');
  assert.equal(pool.gauges().liveInstances, 0);
  // The handler's late return changes nothing.
  i0.say({ type: 'returned', requestId: 0, memoryBytes: 65536 });
  assert.deepEqual(take(), []);
  assert.equal(clock.nextDue, null, 'no timer is left behind');
});

test('WASIp3: a drained instance whose body or tasks never end after its client left is killed at its drain deadline', () => {
  const { clock, host, send, take, events } = fakePool('wasip3', { maxInstanceReuseCount: 1 });
  const r0 = send();
  const i0 = host.instance(0);
  i0.instantiated();
  i0.say({ type: 'head', requestId: 0, status: 200, headers: [] });
  i0.say({ type: 'tasks', pending: 1 });
  i0.say({ type: 'returned', requestId: 0, memoryBytes: 65536 });
  assert.deepEqual(take().slice(-3), ['r0 responded 200', 'i0 unavailable (draining)', 'i0 PostReturn']);
  assert.equal(clock.nextDue, null, 'the client still reads the body');
  clock.advanceBy(5_000);
  r0.leave();
  assert.deepEqual(take(), ['r0 failed client-gone']);
  assert.equal(clock.advanceToNextTimer(), 5_000 + DRAIN_GRACE_MS);
  assert.deepEqual(take(), ['i0 exit (watchdog)']);
  assert.match(exitOf(events, 0)?.message ?? '', /1 guest task\(s\) or response bodies never ended/);
});

test('a drained instance whose executor never confirms the disposal is killed at its drain deadline; a confirmed one exits cleanly', () => {
  const { clock, host, send, take, events } = fakePool('wasip2');
  send();
  send();
  const [i0, i1] = [host.instance(0), host.instance(1)];
  i0.instantiated();
  i1.instantiated();
  clock.advanceBy(100);
  i0.answer(0);
  i1.answer(1);
  assert.ok(i0.disposeAsked && i1.disposeAsked);
  take();
  clock.advanceBy(50);
  i1.disposed();
  assert.deepEqual(take(), ['i1 exit (drained)']);
  // i0's executor never answers.
  assert.equal(clock.advanceToNextTimer(), 100 + DRAIN_GRACE_MS);
  assert.deepEqual(take(), ['i0 exit (watchdog)']);
  assert.match(exitOf(events, 0)?.message ?? '', /its executor never confirmed the disposal/);
  assert.equal(i0.killedWithGrace, KILL_GRACE_MS);
  assert.equal(i1.killedWithGrace, null);
  assert.equal(clock.nextDue, null, 'no timer is left behind');
});

test('WASIp3: an expired handler still running when the request timeout is removed is killed at its drain deadline', () => {
  const { pool, clock, host, send, take, events } = fakePool('wasip3', {
    maxInstanceReuseCount: 10,
    requestTimeoutMs: 500,
  });
  send();
  const i0 = host.instance(0);
  i0.instantiated();
  assert.equal(clock.advanceToNextTimer(), 500);
  assert.deepEqual(take().slice(-3), ['i0 draining (request-expired)', 'i0 unavailable (draining)', 'i0 PostReturn']);
  // Without a request timeout the watchdog has no deadline for PostReturn any more.
  assert.ok(pool.setKnobs({ requestTimeoutMs: null }).ok);
  assert.equal(clock.advanceToNextTimer(), 500 + DRAIN_GRACE_MS);
  assert.deepEqual(take(), ['i0 exit (watchdog)']);
  assert.match(exitOf(events, 0)?.message ?? '', /1 expired handler\(s\) never returned/);
});

test('a drain started while the instance is starting serves the request it was started for, then exits', async () => {
  const { pool, host, send, take } = fakePool('wasip2', { maxInstanceReuseCount: 10 });
  const r0 = send();
  const shutdown = pool.shutdown();
  await microtasks();
  assert.deepEqual(take(), ['r0 spawn-direct', 'i0 spawned (no-available-worker)', 'i0 draining (shutdown)']);
  const i0 = host.instance(0);
  i0.instantiated();
  i0.answer(0);
  assert.equal(i0.disposeAsked, true);
  i0.disposed();
  await shutdown;
  assert.deepEqual(take().slice(-2), ['r0 completed', 'i0 exit (drained)']);
  assert.equal(r0.view.ended, true);
});

// --- The gauges during a burst against a cold pool

test('requests waiting for instances that are starting count in the queue depth until they run, and the gauges return to 0', async () => {
  const { pool, host, send, events } = fakePool('wasip2', { maxInstances: 3 });
  /** What the last `pool.gauges` event said (what a dashboard shows). */
  const shown = () => {
    const last = events.filter((event) => event.type === 'pool.gauges').at(-1);
    if (!last) return null;
    const { type: _type, t: _t, seq: _seq, ...gauges } = last;
    return gauges;
  };
  // A burst of 5: three start an instance each (spawn-direct), two queue at the instance cap.
  for (let i = 0; i < 5; i++) send();
  await microtasks();
  assert.deepEqual(pool.gauges(), {
    liveInstances: 3,
    availableWorkers: 0,
    queueDepth: 5,
    inFlight: 0,
    waitingForStart: 3,
  });
  assert.deepEqual(shown(), pool.gauges());
  host.instance(0).instantiated();
  await microtasks();
  assert.deepEqual(pool.gauges(), {
    liveInstances: 3,
    availableWorkers: 0,
    queueDepth: 4,
    inFlight: 1,
    waitingForStart: 2,
  });
  host.instance(1).instantiated();
  host.instance(2).instantiated();
  for (const index of [0, 1, 2]) {
    host.instance(index).answer(index);
    host.instance(index).disposed();
  }
  // The exits started instances for the two queued requests: they wait for those to start.
  await microtasks();
  assert.deepEqual(pool.gauges(), {
    liveInstances: 2,
    availableWorkers: 0,
    queueDepth: 2,
    inFlight: 0,
    waitingForStart: 0,
  });
  for (const index of [3, 4]) {
    host.instance(index).instantiated();
    host.instance(index).answer(index);
    host.instance(index).disposed();
  }
  await microtasks();
  const zero = { liveInstances: 0, availableWorkers: 0, queueDepth: 0, inFlight: 0, waitingForStart: 0 };
  assert.deepEqual(pool.gauges(), zero);
  assert.deepEqual(shown(), zero);
});
