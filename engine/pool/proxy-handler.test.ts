/**
 * The pool's state machine (spec §3, ../shared/docs/proxyhandler-spec.md), tested without threads,
 * sockets or real time, as wasmtime tests its handler.
 *
 * The instances are fakes (engine/pool/fakes.ts), on purpose: they stand in for the executor
 * threads, and the test plays each instance's messages (`instantiated`, a response, `returned`,
 * `trapped`, `disposed`) exactly as an executor would deliver them. Time is a `FakeClock` that
 * moves only when a test advances it to the next timer. Everything else is the production code:
 * `ProxyHandler`, `PoolWorker`, the policy, `OpenResponses` and the event bus. The tests assert
 * outcomes and the order of events; the real threads are covered by engine/test/.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fakePool as poolOf, microtasks } from './fake-pool.ts';
import { KILL_GRACE_MS } from './executor-pool.ts';
import { ResponseWindow } from '../thread/response-flow.ts';
import { EVENT_MESSAGE_MAX_CHARS } from '../../protocol/index.ts';

// --- §3.1: spawn-direct, the queue, waking one available worker

test('with no worker available a request starts an instance for itself (spawn-direct), which takes it without asking', () => {
  const { host, send, take } = poolOf('wasip2');
  const r0 = send();
  assert.deepEqual(take(), ['r0 spawn-direct', 'i0 spawned (no-available-worker)']);
  assert.deepEqual(host.instance(0).env.at(-1), ['INSTANCE_ID', '0']);
  host.instance(0).instantiated();
  assert.deepEqual(host.instance(0).requests, [0]);
  // Reuse 1 (the WASIp2 default): the initial request is also the last, so the worker drains at once.
  assert.deepEqual(take(), [
    'i0 instantiated',
    'i0 Idle',
    'r0 accepted by i0',
    'i0 Requests',
    'i0 draining (reuse-exhausted)',
    'i0 unavailable (reuse-limit)',
  ]);
  host.instance(0).answer(0, 'hello');
  assert.equal(host.instance(0).disposeAsked, true);
  assert.deepEqual(take(), ['r0 responded 200', 'r0 completed', 'i0 unavailable (draining)']);
  host.instance(0).disposed();
  assert.deepEqual(take(), ['i0 exit (drained)']);
  assert.deepEqual(r0.view, { status: 200, failed: null, body: 'hello', ended: true, aborted: null });
});

test('a request queues when a worker is available, and exactly one available worker is woken for it', () => {
  const { pool, host, send, take } = poolOf('wasip2', { maxInstanceReuseCount: 10 });
  send();
  send();
  host.instance(0).instantiated();
  host.instance(1).instantiated();
  host.instance(0).answer(0);
  host.instance(1).answer(1);
  assert.equal(pool.gauges().availableWorkers, 2);
  take();
  send();
  assert.deepEqual(take(), ['r2 queued', 'r2 accepted by i0', 'i0 Requests', 'i0 unavailable (concurrency-limit)']);
  assert.deepEqual(host.instance(1).requests, [1], 'the other available worker was left alone');
  assert.equal(host.placed.length, 2, 'no instance was started');
  assert.deepEqual(pool.gauges(), {
    liveInstances: 2,
    availableWorkers: 1,
    queueDepth: 0,
    inFlight: 1,
    waitingForStart: 0,
  });
});

// --- §3.5: availability from maxInstanceReuseCount and maxInstanceConcurrentReuseCount

test('a worker serves maxInstanceReuseCount requests, then drains and exits; the next request starts a new instance', () => {
  const { host, send, take } = poolOf('wasip2', { maxInstanceReuseCount: 2 });
  send();
  host.instance(0).instantiated();
  host.instance(0).answer(0);
  assert.deepEqual(take().slice(-3), ['r0 completed', 'i0 available', 'i0 Idle']);
  send();
  host.instance(0).answer(1);
  assert.deepEqual(take(), [
    'r1 queued',
    'r1 accepted by i0',
    'i0 Requests',
    'i0 draining (reuse-exhausted)',
    'i0 unavailable (reuse-limit)',
    'r1 responded 200',
    'r1 completed',
    'i0 unavailable (draining)',
  ]);
  assert.equal(host.instance(0).disposeAsked, true);
  // Exiting, not gone yet: it takes nothing more, so the next request starts another instance.
  send();
  assert.deepEqual(take(), ['r2 spawn-direct', 'i1 spawned (no-available-worker)']);
  host.instance(0).disposed();
  assert.deepEqual(take(), ['i0 exit (drained)']);
});

test('WASIp3: a worker takes more concurrent requests only after its guest yields, up to maxInstanceConcurrentReuseCount', () => {
  const { host, send, take } = poolOf('wasip3', {
    maxInstanceReuseCount: 10,
    maxInstanceConcurrentReuseCount: 3,
    maxInstances: 1,
  });
  for (let i = 0; i < 4; i++) send();
  assert.deepEqual(take(), [
    'r0 spawn-direct',
    'i0 spawned (no-available-worker)',
    'r1 queued',
    'r2 queued',
    'r3 queued',
  ]);
  const i0 = host.instance(0);
  i0.instantiated();
  assert.deepEqual(take().slice(-2), ['i0 Requests', 'i0 unavailable (cpu-busy)']);
  // Each accept waits for the guest to yield (spec §3.6) before the next.
  i0.say({ type: 'yielded' });
  assert.deepEqual(take(), ['i0 available', 'r1 accepted by i0', 'i0 unavailable (cpu-busy)']);
  i0.say({ type: 'yielded' });
  assert.deepEqual(take(), ['i0 available', 'r2 accepted by i0', 'i0 unavailable (concurrency-limit)']);
  i0.say({ type: 'yielded' });
  assert.deepEqual(take(), []);
  assert.deepEqual(i0.requests, [0, 1, 2]);
  // One finishing makes room for the request still queued.
  i0.answer(0);
  assert.deepEqual(take(), [
    'r0 responded 200',
    'r0 completed',
    'i0 available',
    'r3 accepted by i0',
    'i0 unavailable (concurrency-limit)',
  ]);
});

test('WASIp3: a guest holding backpressure takes nothing, and with no work left the worker exits', () => {
  const { host, send, take } = poolOf('wasip3', { maxInstanceReuseCount: 10 });
  send();
  const i0 = host.instance(0);
  i0.instantiated();
  take();
  i0.say({ type: 'ready', ready: false });
  assert.deepEqual(take(), ['i0 unavailable (backpressure)']);
  i0.answer(0);
  assert.deepEqual(take(), ['r0 responded 200', 'r0 completed', 'i0 unavailable (draining)']);
  assert.equal(i0.disposeAsked, true);
  send();
  assert.deepEqual(take(), ['r1 spawn-direct', 'i1 spawned (no-available-worker)']);
});

// --- §3.3: the anti-orphan rule, and the maxInstances cap

test('when the last available worker goes busy with work queued, another instance is started for the queue', () => {
  const { host, send, take } = poolOf('wasip2', { maxInstanceReuseCount: 10 });
  send();
  const i0 = host.instance(0);
  i0.instantiated();
  i0.answer(0);
  take();
  // The executor under i0 is now held by some guest: woken for the request, i0 finds it cannot
  // take it, and its going unavailable leaves the queue without a taker.
  i0.holdingExecutor = true;
  send();
  assert.deepEqual(take(), ['r1 queued', 'i0 unavailable (executor-stalled)', 'i1 spawned (last-available-went-busy)']);
  host.instance(1).instantiated();
  assert.deepEqual(take(), [
    'i1 instantiated',
    'i1 Idle',
    'i1 available',
    'r1 accepted by i1',
    'i1 Requests',
    'i1 unavailable (concurrency-limit)',
  ]);
  assert.deepEqual(i0.requests, [0]);
});

test('at maxInstances requests queue; the next exit starts an instance for them', () => {
  const { host, send, take } = poolOf('wasip2', { maxInstances: 1 });
  send();
  send();
  assert.deepEqual(take(), ['r0 spawn-direct', 'i0 spawned (no-available-worker)', 'r1 queued']);
  host.instance(0).instantiated();
  host.instance(0).answer(0);
  assert.equal(host.placed.length, 1, 'the exiting instance still counts against the cap');
  take();
  host.instance(0).disposed();
  assert.deepEqual(take(), ['i0 exit (drained)', 'i1 spawned (queue-without-taker)']);
  host.instance(1).instantiated();
  assert.deepEqual(take(), [
    'i1 instantiated',
    'i1 Idle',
    'i1 available',
    'r1 accepted by i1',
    'i1 Requests',
    'i1 draining (reuse-exhausted)',
    'i1 unavailable (reuse-limit)',
  ]);
});

test('raising maxInstances starts an instance for requests waiting at the cap', () => {
  const { pool, host, send, take } = poolOf('wasip2', { maxInstances: 1 });
  send();
  send();
  take();
  assert.ok(pool.setKnobs({ maxInstances: 2 }).ok);
  assert.deepEqual(take(), ['i1 spawned (queue-without-taker)']);
  host.instance(1).instantiated();
  assert.deepEqual(host.instance(1).requests, [1]);
});

// --- §3.2: FIFO

test('queued requests are served in the order they arrived', () => {
  const { host, send } = poolOf('wasip2', { maxInstanceReuseCount: 10, maxInstances: 1 });
  for (let i = 0; i < 5; i++) send();
  const i0 = host.instance(0);
  i0.instantiated();
  for (let i = 0; i < 5; i++) i0.answer(i);
  assert.deepEqual(i0.requests, [0, 1, 2, 3, 4]);
});

test('a queued request whose client leaves is dropped and never runs', () => {
  const { pool, host, send, take } = poolOf('wasip2', { maxInstanceReuseCount: 10, maxInstances: 1 });
  send();
  const leaving = send();
  send();
  take();
  leaving.leave();
  assert.deepEqual(take(), ['r1 failed client-gone']);
  assert.equal(leaving.view.failed?.kind, 'client-gone');
  // r2 waits in the queue, r0 for the instance started for it.
  assert.deepEqual([pool.gauges().queueDepth, pool.gauges().waitingForStart], [2, 1]);
  const i0 = host.instance(0);
  i0.instantiated();
  i0.answer(0);
  i0.answer(2);
  assert.deepEqual(i0.requests, [0, 2]);
});

// --- §3.4: instantiation failure

test('an instance started for a request that fails to instantiate fails just that request; the queue gets a new instance', () => {
  const { host, send, take } = poolOf('wasip2', { maxInstances: 1 });
  const r0 = send();
  send();
  take();
  host.instance(0).say({ type: 'instantiate-failed', message: 'no memory' });
  assert.deepEqual(take(), [
    'i0 instantiation failed (1 failed)',
    'r0 failed instantiation',
    'i0 unavailable (draining)',
    'i0 exit (instantiation-failed)',
    'i1 spawned (queue-without-taker)',
  ]);
  assert.deepEqual(r0.view.failed, { kind: 'instantiation', message: 'instantiation error: no memory' });
  host.instance(1).instantiated();
  assert.deepEqual(host.instance(1).requests, [1]);
});

test('an instance started for the queue that fails to instantiate fails every queued request, in order', () => {
  const { host, send, take } = poolOf('wasip2', { maxInstances: 1 });
  send();
  const queued = [send(), send()];
  host.instance(0).instantiated();
  host.instance(0).say({ type: 'trapped', requestId: 0, message: 'unreachable' });
  take();
  host.instance(1).say({ type: 'instantiate-failed', message: 'out of tables' });
  assert.deepEqual(take(), [
    'i1 instantiation failed (2 failed)',
    'r1 failed instantiation',
    'r2 failed instantiation',
    'i1 unavailable (draining)',
    'i1 exit (instantiation-failed)',
  ]);
  for (const client of queued) assert.equal(client.view.failed?.kind, 'instantiation');
  assert.equal(host.placed.length, 2, 'nothing was left to start an instance for');
});

// --- §6: traps

test('a trap kills only its own instance and fails only its own request; queued work goes to the next instance', () => {
  const { host, send, take } = poolOf('wasip2', { maxInstanceReuseCount: 10, maxInstances: 2, requestTimeoutMs: 5000 });
  const r0 = send();
  const r1 = send();
  send();
  host.instance(0).instantiated();
  host.instance(1).instantiated();
  take();
  host.instance(0).say({ type: 'trapped', requestId: 0, message: 'unreachable' });
  assert.deepEqual(take(), [
    'r0 failed trap',
    'i0 unavailable (draining)',
    'i0 exit (trap)',
    'i2 spawned (queue-without-taker)',
  ]);
  assert.equal(r0.view.failed?.message, 'guest never invoked `response-outparam::set` method: unreachable');
  assert.equal(host.instance(0).killedWithGrace, 5000 + KILL_GRACE_MS, 'the instance is interrupted on its executor');
  host.instance(2).instantiated();
  assert.deepEqual(host.instance(2).requests, [2]);
  host.instance(1).answer(1);
  assert.equal(r1.view.ended, true);
  assert.equal(host.instance(1).killedWithGrace, null);
});

test("a guest's trap or instantiation message of any size is cut to EVENT_MESSAGE_MAX_CHARS in events and answers", () => {
  const { host, send, events } = poolOf('wasip2', { maxInstances: 1 });
  const huge = 'x'.repeat(1 << 20);
  const r0 = send();
  host.instance(0).instantiated();
  host.instance(0).say({ type: 'trapped', requestId: 0, message: huge });
  const r1 = send();
  host.instance(1).say({ type: 'instantiate-failed', message: huge });
  const messages = events.flatMap((e) =>
    e.type === 'request.failed' || e.type === 'worker.exit' || e.type === 'worker.instantiation_failed'
      ? [e.message ?? '']
      : [],
  );
  assert.equal(messages.length, 5, 'two failures, two exits, one instantiation failure');
  for (const message of messages) {
    assert.ok(message.length <= EVENT_MESSAGE_MAX_CHARS, `${message.length} characters`);
    assert.ok(message.endsWith('…'));
  }
  for (const client of [r0, r1]) assert.equal(client.view.failed?.message.length, EVENT_MESSAGE_MAX_CHARS);
});

// --- §3.7, §5: idle expiry, request timeouts and the watchdog

test('an idle worker exits cleanly at its idle timeout; a request at that instant gets a new instance', () => {
  const { clock, host, send, take } = poolOf('wasip2', { maxInstanceReuseCount: 10, idleInstanceTimeoutMs: 1000 });
  send();
  host.instance(0).instantiated();
  clock.advanceBy(300);
  host.instance(0).answer(0);
  take();
  // Idle since 300: a request at 800 is served, and a new idle period starts when it ends.
  clock.advanceBy(500);
  send();
  host.instance(0).answer(1);
  take();
  assert.equal(clock.advanceToNextTimer(), 1800);
  assert.deepEqual(take(), ['i0 draining (idle-timeout)', 'i0 unavailable (draining)']);
  assert.equal(host.instance(0).disposeAsked, true);
  send();
  assert.deepEqual(take(), ['r2 spawn-direct', 'i1 spawned (no-available-worker)']);
  host.instance(0).disposed();
  assert.deepEqual(take(), ['i0 exit (idle-timeout)']);
  assert.equal(host.instance(0).killedWithGrace, null);
});

test('WASIp2: a request that outlives its timeout is failed by the watchdog, which kills the instance', () => {
  const { clock, host, send, take } = poolOf('wasip2', { maxInstanceReuseCount: 10, requestTimeoutMs: 500 });
  const r0 = send();
  host.instance(0).instantiated();
  take();
  assert.equal(clock.advanceToNextTimer(), 500);
  assert.deepEqual(take(), ['r0 failed timeout', 'i0 unavailable (draining)', 'i0 exit (watchdog)']);
  assert.deepEqual(r0.view.failed, { kind: 'timeout', message: 'guest timed out' });
  assert.equal(host.instance(0).killedWithGrace, 500 + KILL_GRACE_MS);
  assert.equal(clock.nextDue, null, 'no timer is left behind');
});

test('WASIp3: when a request expiry and the watchdog are due at once, the request expires and the worker drains; the watchdog waits another timeout', () => {
  const { clock, host, send, take } = poolOf('wasip3', { maxInstanceReuseCount: 10, requestTimeoutMs: 500 });
  const r0 = send();
  const i0 = host.instance(0);
  i0.instantiated();
  take();
  // Both layers are due at 500; the watchdog was armed first, so it fires first and hands over.
  assert.equal(clock.advanceToNextTimer(), 500);
  assert.deepEqual(take(), [
    'r0 expired',
    'r0 failed timeout',
    'i0 draining (request-expired)',
    'i0 unavailable (draining)',
    'i0 PostReturn',
  ]);
  assert.equal(r0.view.failed?.kind, 'timeout');
  assert.equal(i0.killedWithGrace, null, 'the instance lives on');
  // The guest's handler never returns: a request timeout after the worker entered PostReturn, the watchdog ends it.
  assert.equal(clock.advanceToNextTimer(), 1000);
  assert.deepEqual(take(), ['i0 exit (watchdog)']);
  assert.equal(i0.killedWithGrace, 500 + KILL_GRACE_MS);
});

test('WASIp3: an expired request whose handler returns late lets the draining worker exit cleanly', () => {
  const { clock, host, send, take } = poolOf('wasip3', { maxInstanceReuseCount: 10, requestTimeoutMs: 500 });
  send();
  host.instance(0).instantiated();
  clock.advanceToNextTimer();
  take();
  clock.advanceBy(100);
  host.instance(0).say({ type: 'returned', requestId: 0, memoryBytes: 65536 });
  assert.equal(host.instance(0).disposeAsked, true);
  host.instance(0).disposed();
  assert.deepEqual(take(), ['i0 exit (drained)']);
});

// --- Drain (graceful shutdown)

test('shutdown serves what was accepted and queued, then every instance exits', async () => {
  const { pool, host, send, take } = poolOf('wasip2', { maxInstanceReuseCount: 10, maxInstances: 1 });
  const r0 = send();
  const r1 = send();
  const i0 = host.instance(0);
  i0.instantiated();
  take();
  let closed = false;
  const shutdown = pool.shutdown().then(() => {
    closed = true;
  });
  i0.answer(0);
  i0.answer(1);
  await microtasks();
  assert.deepEqual(take(), [
    'r0 responded 200',
    'r0 completed',
    'i0 available',
    'r1 accepted by i0',
    'i0 unavailable (concurrency-limit)',
    'r1 responded 200',
    'r1 completed',
    'i0 available',
    'i0 Idle',
    'i0 draining (shutdown)',
    'i0 unavailable (draining)',
  ]);
  assert.equal(i0.disposeAsked, true);
  assert.equal(closed, false, 'shutdown waits for the instance to be gone');
  i0.disposed();
  await shutdown;
  assert.deepEqual(take(), ['i0 exit (drained)']);
  assert.ok(r0.view.ended && r1.view.ended);
});

test('terminate fails queued and in-flight requests at once', () => {
  const { pool, host, send, take } = poolOf('wasip2', { maxInstances: 1 });
  const r0 = send();
  const r1 = send();
  host.instance(0).instantiated();
  take();
  pool.terminate();
  assert.deepEqual(take(), ['r0 failed shutdown', 'i0 unavailable (draining)', 'i0 exit (shutdown)']);
  assert.equal(r0.view.failed?.kind, 'shutdown');
  assert.equal(r1.view.failed?.kind, 'shutdown');
});

// --- A client leaving after a whole content-length body (ARCHITECTURE.md, "A request", step 6)

test('a client that leaves once it has every declared byte, before the guest says the body ended, got a complete response', () => {
  const { host, send, take } = poolOf('wasip2', { maxInstanceReuseCount: 10 });
  const client = send();
  const i0 = host.instance(0);
  i0.instantiated();
  take();
  i0.say({ type: 'head', requestId: 0, status: 200, headers: [['content-length', new TextEncoder().encode('5')]] });
  i0.say({ type: 'chunk', requestId: 0, bytes: new TextEncoder().encode('hello') });
  client.leave();
  assert.deepEqual(take(), ['r0 responded 200', 'r0 completed']);
  // The guest's end arrives afterwards and changes nothing; the instance is reused.
  i0.say({ type: 'end', requestId: 0 });
  i0.say({ type: 'returned', requestId: 0, memoryBytes: 65536 });
  assert.deepEqual(take(), ['i0 available', 'i0 Idle']);
  assert.equal(client.view.failed, null);
});

test('after such a client left, a guest writing past its declared length finds its body closed instead of waiting forever', () => {
  const { host, send, take } = poolOf('wasip3', { maxInstanceReuseCount: 10 });
  const client = send();
  const i0 = host.instance(0);
  i0.instantiated();
  i0.say({ type: 'head', requestId: 0, status: 200, headers: [['content-length', new TextEncoder().encode('2')]] });
  i0.say({ type: 'chunk', requestId: 0, bytes: new TextEncoder().encode('ok') });
  client.leave();
  assert.deepEqual(take().slice(-1), ['r0 completed']);
  const flow = i0.flows.get(0);
  assert.ok(flow, 'the request was handed over with its flow');
  const window = new ResponseWindow(flow);
  assert.ok(window.available() >= 0, 'still open: the guest may end its body as usual');
  // More than it declared, and nobody to read it: the guest's next write fails rather than
  // waiting for acknowledgements that never come.
  window.sent(1 << 20);
  i0.say({ type: 'chunk', requestId: 0, bytes: new Uint8Array(1 << 20) });
  assert.equal(window.available(), -1);
});

test('a client that leaves before every declared byte was written to it is gone, whatever the guest sent', () => {
  const { host, send, take } = poolOf('wasip2', { maxInstanceReuseCount: 10 });
  const short = send();
  const unwritten = send({ manualWrites: true });
  const chunked = send();
  for (const [index, length] of [
    [0, '10'],
    [1, '5'],
    [2, null],
  ] as const) {
    const instance = host.instance(index);
    instance.instantiated();
    const headers: Array<[string, Uint8Array]> =
      length === null ? [] : [['content-length', new TextEncoder().encode(length)]];
    instance.say({ type: 'head', requestId: index, status: 200, headers });
    instance.say({ type: 'chunk', requestId: index, bytes: new TextEncoder().encode('hello') });
  }
  take();
  // Fewer bytes than declared; all declared bytes passed on but still in the socket's buffer; no length declared.
  short.leave();
  unwritten.leave();
  chunked.leave();
  assert.deepEqual(take(), ['r0 failed client-gone', 'r1 failed client-gone', 'r2 failed client-gone']);
});

test("a declared length counts once the client's socket took those bytes", () => {
  const { host, send, take } = poolOf('wasip2', { maxInstanceReuseCount: 10 });
  const client = send({ manualWrites: true });
  const i0 = host.instance(0);
  i0.instantiated();
  i0.say({ type: 'head', requestId: 0, status: 200, headers: [['content-length', new TextEncoder().encode('5')]] });
  i0.say({ type: 'chunk', requestId: 0, bytes: new TextEncoder().encode('hello') });
  client.flushWrites();
  take();
  client.leave();
  assert.deepEqual(take(), ['r0 completed']);
});
