/**
 * Instances on shared executor threads: placement, stopping one instance without its thread, a
 * blocking WASIp2 guest that suspends only itself, and the last resort (an executor lost with the
 * instances on it). Outcomes and order only: no assertion here depends on how fast the machine is.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { send } from './support/http-client.ts';
import { eventsOf, serveForTest } from './support/serve.ts';

const PATIENT = { idleInstanceTimeoutMs: 60_000 };

test('new instances go to the least-loaded executor', async () => {
  // Reuse 1: every request gets a fresh instance, which exits after it.
  const server = await serveForTest('demo:sleep', { maxInstanceReuseCount: 1, ...PATIENT }, { executors: 2 });
  const long = send(server.url('/?ms=60000')).catch(() => null); // holds an instance on the first executor
  await server.waitFor((e) => e.type === 'request.accepted' && e.instanceId === 0);
  assert.equal((await send(server.url('/?ms=0'))).status, 200); // the other executor; its instance exits
  await server.waitFor((e) => e.type === 'worker.exit' && e.instanceId === 1);
  // Now one executor hosts one instance and the other none: the next instance goes to the empty
  // one, whatever the order so far (round-robin alone would pick the busy one here).
  assert.equal((await send(server.url('/?ms=0'))).status, 200);
  const placed = eventsOf(server.events, 'worker.spawned').map((e) => e.executor);
  assert.equal(placed.length, 3);
  assert.notEqual(placed[0], placed[1]);
  assert.equal(placed[2], placed[1]);
  server.pool.terminate();
  await long;
  await server.close();
});

test('an instance that exits while another computes on its executor does not take the executor down', async () => {
  const server = await serveForTest(
    'demo:spin',
    { maxInstanceReuseCount: 128, idleInstanceTimeoutMs: 300 },
    { executors: 1 },
  );
  // Two instances on the one executor.
  const warmUp = await Promise.all([send(server.url('/?ms=50')), send(server.url('/?ms=50'))]);
  assert.deepEqual(
    warmUp.map((r) => r.status),
    [200, 200],
  );
  assert.equal(eventsOf(server.events, 'worker.spawned').length, 2);
  // One computes for 4 s; meanwhile the other idles out and is disposed on the busy executor,
  // which cannot confirm until the computation ends. That is no reason to terminate it.
  const long = await send(server.url('/?ms=4000'));
  assert.equal(long.status, 200);
  assert.equal(long.body, 'spun 4000 ms');
  await server.close();
  const exits = eventsOf(server.events, 'worker.exit');
  assert.equal(exits.length, 2);
  assert.equal(exits[0]!.cause, 'idle-timeout'); // the one that idled out first, during the computation
  assert.ok(!exits.some((e) => e.cause === 'executor-lost'));
});

test('a spinning guest is interrupted at its request timeout; its executor lives on and serves the next instance', async () => {
  const server = await serveForTest(
    'demo:spin',
    { maxInstanceReuseCount: 1, requestTimeoutMs: 1000, ...PATIENT },
    { executors: 1 },
  );
  const stuck = send(server.url('/')); // spins forever
  await server.waitFor((e) => e.type === 'request.accepted');
  // Queued behind the spinner's executor: runs once the spinner has been stopped.
  const next = send(server.url('/?ms=1'));
  const [stuckResult, nextResult] = [await stuck, await next];
  assert.equal(stuckResult.status, 500);
  assert.equal(nextResult.status, 200);
  assert.equal(nextResult.body, 'spun 1 ms');
  const exits = eventsOf(server.events, 'worker.exit');
  assert.equal(exits.find((e) => e.instanceId === 0)?.cause, 'watchdog');
  // The executor was not replaced, and nothing was lost with it.
  assert.ok(server.pool.executors.executors.some((e) => e.id === 0 && !e.dead));
  assert.ok(!exits.some((e) => e.cause === 'executor-lost'));
  await server.close();
  assert.ok(!eventsOf(server.events, 'worker.exit').some((e) => e.cause === 'executor-lost'));
});

test('a sleeping WASIp2 guest does not hold up another instance on the same executor', async () => {
  const server = await serveForTest('demo:sleep', { maxInstanceReuseCount: 1, ...PATIENT }, { executors: 1 });
  const order: string[] = [];
  const long = send(server.url('/?ms=3000')).then((r) => order.push(`long ${r.status}`));
  await server.waitFor((e) => e.type === 'request.accepted');
  const short = send(server.url('/?ms=1')).then((r) => order.push(`short ${r.status}`));
  await Promise.all([long, short]);
  assert.deepEqual(order, ['short 200', 'long 200']);
  assert.deepEqual(
    eventsOf(server.events, 'worker.spawned').map((e) => e.executor),
    [0, 0],
  );
  await server.close();
});

test('a guest suspended in a blocking call is stopped at its request timeout; another instance on its executor finishes', async () => {
  const server = await serveForTest(
    'demo:sleep',
    { maxInstanceReuseCount: 1, requestTimeoutMs: 1500, ...PATIENT },
    { executors: 1 },
  );
  const order: string[] = [];
  const forever = send(server.url('/')).then((r) => order.push(`forever ${r.status}`)); // sleeps forever
  await server.waitFor((e) => e.type === 'request.accepted');
  const short = send(server.url('/?ms=1')).then((r) => order.push(`short ${r.status}`));
  await Promise.all([forever, short]);
  assert.deepEqual(order, ['short 200', 'forever 500']);
  const exits = eventsOf(server.events, 'worker.exit');
  assert.equal(exits.find((e) => e.instanceId === 0)?.cause, 'watchdog');
  assert.ok(!exits.some((e) => e.cause === 'executor-lost'));
  await server.close();
});

test('an executor that dies takes only its own instances, reported as executor-lost; a replacement serves on', async () => {
  const server = await serveForTest('demo:sleep', { maxInstanceReuseCount: 128, ...PATIENT }, { executors: 2 });
  const onZero = send(server.url('/?ms=60000'));
  const accepted = await server.waitFor((e) => e.type === 'request.accepted');
  const spawned = eventsOf(server.events, 'worker.spawned')[0]!;
  assert.equal(accepted.type === 'request.accepted' && accepted.instanceId, spawned.instanceId);
  const executor = server.pool.executors.executors.find((e) => e.id === spawned.executor)!;
  // The last-resort path itself (what an unstoppable guest triggers), applied to this executor.
  executor.terminate('terminated by the test');
  const lost = await onZero;
  assert.equal(lost.status, 500);
  const exit = await server.waitFor((e) => e.type === 'worker.exit' && e.instanceId === spawned.instanceId);
  assert.ok(exit.type === 'worker.exit' && exit.cause === 'executor-lost' && exit.message === 'terminated by the test');
  // The pool keeps two executors: a new one replaced the lost one, and requests are served.
  assert.equal((await send(server.url('/?ms=0'))).status, 200);
  const ids = server.pool.executors.executors.map((e) => e.id);
  assert.equal(ids.length, 2);
  assert.ok(!ids.includes(executor.id));
  await server.close();
});
