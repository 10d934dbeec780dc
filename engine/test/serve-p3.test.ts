/**
 * WASIp3 through the real pool, on wasmtime's own compiled test guests (spec §8.2): serial and
 * concurrent reuse, async timeouts that fail only their request, the watchdog for what lingers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { send, sendMany } from './support/http-client.ts';
import { eventsOf, serveForTest } from './support/serve.ts';

const FIXTURES = fileURLToPath(new URL('../../../shared/fixtures/wasmtime-test-programs/', import.meta.url));
const HELLO = `${FIXTURES}p3-cli-serve-hello-world.wasm`;
const SLEEP = `${FIXTURES}p3-cli-serve-sleep.wasm`;
const ECHO = `${FIXTURES}p3-http-echo.wasm`;

test('p3 hello world: 200 Hello, WASI! (body streamed after handle returns), clean shutdown', async () => {
  const server = await serveForTest(HELLO);
  assert.equal(server.component.world, 'wasip3');
  assert.equal(server.pool.knobs.maxInstanceReuseCount, 128);
  assert.equal(server.pool.knobs.maxInstanceConcurrentReuseCount, 16);
  const response = await send(server.url());
  assert.equal(response.status, 200);
  assert.equal(response.body, 'Hello, WASI!');
  await server.close();
  assert.equal(server.pool.gauges().liveInstances, 0);
});

for (const [name, knobs] of [
  ['default reuse', {}],
  ['no reuse', { maxInstanceReuseCount: 1 }],
  ['no concurrent reuse', { maxInstanceConcurrentReuseCount: 1 }],
] as const) {
  test(`p3 hello world many (20 connections x 5 requests), ${name}`, async () => {
    const server = await serveForTest(HELLO, knobs);
    const responses = await sendMany(server.url(), 20, 5);
    assert.equal(responses.length, 100);
    assert.ok(responses.every((r) => r.status === 200 && r.body === 'Hello, WASI!'));
    await server.close();
    const served = eventsOf(server.events, 'worker.exit').reduce((sum, e) => sum + e.served, 0);
    assert.equal(served, 100, 'every request was accepted by exactly one instance');
    if (name === 'no reuse') assert.equal(eventsOf(server.events, 'worker.spawned').length, 100);
  });
}

test('p3 concurrent reuse: 50 concurrent clients need far fewer instances than clients', async () => {
  const server = await serveForTest(HELLO);
  const responses = await sendMany(server.url(), 50, 4);
  assert.ok(responses.every((r) => r.status === 200));
  const peak = Math.max(...eventsOf(server.events, 'pool.gauges').map((g) => g.liveInstances));
  assert.ok(peak < 50, `peak live instances ${peak}`);
  const concurrent = eventsOf(server.events, 'request.accepted').some((e) => e.inFlight > 1);
  assert.ok(concurrent, 'some instance had more than one request in flight');
  await server.close();
});

test('p3 echo: request headers and body come back', async () => {
  const server = await serveForTest(ECHO);
  const response = await send(server.url('/echo'), {
    method: 'POST',
    body: 'ping pong',
    headers: { 'x-hello': 'world' },
  });
  assert.equal(response.status, 200);
  assert.equal(response.body, 'ping pong');
  assert.equal(response.headers['x-hello'], 'world');
  await server.close();
});

test('p3 sleep with -W timeout=100us: 5xx, guest timed out', async () => {
  const server = await serveForTest(SLEEP, { requestTimeoutMs: 0.1 });
  const response = await send(server.url());
  assert.ok(response.status >= 500);
  assert.ok(
    server.stderr.some((line) => line.includes('guest timed out')),
    server.stderr.join('\n'),
  );
  await server.close();
});

test('p3 sleep many with -W timeout=100us: all 100 requests 5xx', async () => {
  const server = await serveForTest(SLEEP, { requestTimeoutMs: 0.1 });
  const responses = await sendMany(server.url(), 20, 5);
  assert.ok(responses.every((r) => r.status >= 500));
  await server.close();
});

test('p3 expiry fails only its request; the instance drains, then the watchdog ends what lingers', async () => {
  const server = await serveForTest(SLEEP, { requestTimeoutMs: 200 });
  const response = await send(server.url());
  assert.equal(response.status, 500);
  assert.match(response.body, /guest timed out/);
  const expired = eventsOf(server.events, 'request.expired');
  assert.equal(expired.length, 1, 'layer A: the request expired on a live event loop');
  const draining = await server.waitFor((e) => e.type === 'worker.draining');
  assert.ok(draining.type === 'worker.draining' && draining.cause === 'request-expired');
  // The sleeping guest task is never cancelled (wasmtime#11833): PostReturn until the watchdog.
  const exit = await server.waitFor((e) => e.type === 'worker.exit');
  assert.ok(exit.type === 'worker.exit' && exit.cause === 'watchdog', JSON.stringify(exit));
  const statuses = eventsOf(server.events, 'worker.status').map((e) => e.status);
  assert.ok(statuses.includes('PostReturn'), statuses.join(','));
  await server.close();
});

test('p3 trap blast radius: a trap fails every request in flight on its instance; the next request gets a new one', async () => {
  const server = await serveForTest('demo:p3-trap', { idleInstanceTimeoutMs: 60_000 });
  // One instance first, so the slow requests and the trap share it (concurrency 16).
  assert.equal((await send(server.url('/'))).status, 200);
  const slow = [send(server.url('/?ms=400')), send(server.url('/?ms=400')), send(server.url('/?ms=400'))];
  await server.waitFor((e) => e.type === 'request.accepted' && e.inFlight === 3);
  const trap = send(server.url('/trap'));
  const responses = await Promise.all([...slow, trap]);
  assert.deepEqual(
    responses.map((r) => r.status),
    [500, 500, 500, 500],
  );
  assert.ok(
    responses.every((r) => /worker trapped or panicked/.test(r.body)),
    responses.map((r) => r.body).join('\n'),
  );
  const exit = await server.waitFor((e) => e.type === 'worker.exit');
  assert.ok(exit.type === 'worker.exit' && exit.cause === 'trap' && exit.instanceId === 0);
  const failed = eventsOf(server.events, 'request.failed');
  assert.equal(
    failed.filter((e) => e.kind === 'trap' && e.instanceId === 0).length,
    4,
    'each request on the instance is reported',
  );
  const after = await send(server.url('/'));
  assert.equal(after.status, 200);
  assert.equal(eventsOf(server.events, 'request.accepted').at(-1)!.instanceId, 1);
  await server.close();
});
