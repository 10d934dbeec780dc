/**
 * The live-instance cap (wasmtime's pooling-total-component-instances) under bursts, and
 * SIGTERM honoured under load.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { send } from '../support/http-client.ts';
import { runCli } from '../support/cli.ts';
import { eventsOf, serveForTest } from '../support/serve.ts';

test('a burst never runs more instances than max-instances; every request is answered', async () => {
  const server = await serveForTest('demo:sleep', { maxInstances: 3 });
  const answers = await Promise.all(Array.from({ length: 30 }, () => send(server.url('/?ms=5'))));
  assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([200]));
  // Counted from every spawn and exit in order (gauges are coalesced and could hide an overshoot).
  let live = 0;
  let peak = 0;
  for (const event of server.events) {
    if (event.type === 'worker.spawned') peak = Math.max(peak, ++live);
    else if (event.type === 'worker.exit') live--;
  }
  assert.ok(peak <= 3, `at most 3 live instances, saw ${peak}`);
  assert.equal(
    eventsOf(server.events, 'worker.spawned').length,
    30,
    'reuse 1: one instance per request, three at a time',
  );
  await server.close();
});

test('raising max-instances lets waiting requests start an instance at once', async () => {
  const server = await serveForTest('demo:sleep', { maxInstances: 1, requestTimeoutMs: 120_000 });
  const first = send(server.url('/')).catch(() => null); // sleeps until terminated
  await server.waitFor((e) => e.type === 'request.accepted' && e.requestId === 0);
  const second = send(server.url('/?ms=0'));
  await server.waitFor((e) => e.type === 'request.dispatched' && e.requestId === 1);
  assert.equal(
    eventsOf(server.events, 'request.dispatched').find((e) => e.requestId === 1)?.mode,
    'queued',
    'at the cap it waits',
  );
  assert.ok(server.pool.setKnobs({ maxInstances: 2 }).ok);
  assert.equal((await second).body, 'slept 0 ms');
  const accepted = eventsOf(server.events, 'request.accepted').find((e) => e.requestId === 1);
  assert.equal(accepted?.instanceId, 1, 'served by a second instance while the first still sleeps');
  server.pool.terminate();
  await first;
  await server.frontDoor.close();
});

test('SIGTERM under load: in-flight requests get the grace period, then the process exits', {
  timeout: 120_000,
}, async () => {
  const run = runCli([
    'serve',
    'demo:sleep',
    '--addr',
    '127.0.0.1:0',
    '--max-instances',
    '4',
    '--shutdown-grace',
    '300ms',
    '--events',
    '-',
  ]);
  const url = await run.serving;
  // Requests that sleep forever: 4 on instances, the rest queued.
  const requests = Array.from({ length: 100 }, () => send(url).catch((error: Error) => error));
  await run.until(
    '4 accepted and 100 received',
    (out) =>
      (out.match(/"type":"request\.accepted"/g) ?? []).length === 4 &&
      (out.match(/"type":"request\.received"/g) ?? []).length === 100,
    { stream: 'stdout' },
  );
  run.child.kill('SIGTERM');
  const exit = await run.exited;
  assert.equal(exit.code, 1, exit.stderr);
  assert.match(exit.stderr, /did not finish within 300 ms; stopping now/);
  await Promise.all(requests);
});

test('a queued request whose client leaves is dropped from the queue, never run', async () => {
  const server = await serveForTest('demo:sleep', { maxInstances: 1, requestTimeoutMs: 120_000 });
  const first = send(server.url('/')).catch(() => null); // sleeps until terminated
  await server.waitFor((e) => e.type === 'request.accepted' && e.requestId === 0);
  const leaving = new AbortController();
  const gone = send(server.url('/?ms=0'), { signal: leaving.signal }).catch(() => 'left');
  await server.waitFor((e) => e.type === 'request.dispatched' && e.requestId === 1);
  leaving.abort();
  assert.equal(await gone, 'left');
  const failed = await server.waitFor((e) => e.type === 'request.failed' && e.requestId === 1);
  assert.ok(
    failed.type === 'request.failed' && failed.kind === 'client-gone' && failed.instanceId === null,
    JSON.stringify(failed),
  );
  assert.equal(server.pool.gauges().queueDepth, 0);
  assert.ok(server.pool.setKnobs({ maxInstances: 2 }).ok);
  assert.equal((await send(server.url('/?ms=0'))).body, 'slept 0 ms');
  assert.equal(
    eventsOf(server.events, 'request.accepted').filter((e) => e.requestId === 1).length,
    0,
    'the departed request never ran',
  );
  server.pool.terminate();
  await first;
  await server.frontDoor.close();
});
