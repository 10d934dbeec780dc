/**
 * wasmtime's `cli_serve_*` tests that apply to WASIp2 (spec §8), ported: real demo guests through
 * the real engine, real HTTP over loopback. Behaviour only, no timing assertions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { send, sendMany, sendSequential } from './support/http-client.ts';
import type { PoolKnobs } from '../../protocol/index.ts';
import { eventsOf, ONE_REUSED_INSTANCE, serveForTest, type TestServer } from './support/serve.ts';

test('p2 hello world: one request, one connection, then a clean shutdown', async () => {
  const server = await serveForTest('demo:hello');
  const response = await send(server.url());
  assert.equal(response.status, 200);
  assert.equal(response.body, 'Hello, WASI!');
  await server.close();
  assert.equal(server.pool.gauges().liveInstances, 0, 'every instance exits on shutdown');
});

test('p2 hello world many (20 connections x 5 requests), default reuse 1: one instance per request', async () => {
  const server = await serveForTest('demo:hello');
  const responses = await sendMany(server.url(), 20, 5);
  assert.equal(responses.length, 100);
  for (const response of responses) {
    assert.equal(response.status, 200);
    assert.equal(response.body, 'Hello, WASI!');
  }
  await server.close();
  const exits = eventsOf(server.events, 'worker.exit');
  assert.equal(exits.length, 100, 'reuse count 1: every request gets a fresh instance');
  assert.ok(exits.every((exit) => exit.served === 1));
});

test('p2 hello world many with --max-instance-reuse-count=128: instances are reused', async () => {
  const server = await serveForTest('demo:hello', { maxInstanceReuseCount: 128 });
  const responses = await sendMany(server.url(), 20, 5);
  assert.ok(responses.every((r) => r.status === 200 && r.body === 'Hello, WASI!'));
  await server.close();
  const spawned = eventsOf(server.events, 'worker.spawned').length;
  assert.ok(spawned < 100, `expected fewer instances than requests, got ${spawned}`);
  const served = eventsOf(server.events, 'worker.exit').reduce((sum, exit) => sum + exit.served, 0);
  assert.equal(served, 100);
});

test('p2 sleep with -W timeout=100us: 5xx, guest timed out, instance killed by the watchdog', async () => {
  const server = await serveForTest('demo:sleep', { requestTimeoutMs: 0.1 });
  const response = await send(server.url());
  assert.ok(response.status >= 500, `status ${response.status}`);
  assert.ok(
    server.stderr.some((line) => line.includes('guest timed out')),
    server.stderr.join('\n'),
  );
  const exit = await server.waitFor((e) => e.type === 'worker.exit');
  assert.equal(exit.type === 'worker.exit' && exit.cause, 'watchdog');
  await server.close();
});

test('p2 sleep many with -W timeout=100us: all 100 requests 5xx', async () => {
  const server = await serveForTest('demo:sleep', { requestTimeoutMs: 0.1 });
  const responses = await sendMany(server.url(), 20, 5);
  assert.equal(responses.length, 100);
  assert.ok(responses.every((r) => r.status >= 500));
  assert.ok(server.stderr.some((line) => line.includes('guest timed out')));
  await server.close();
});

/**
 * Serves `guest`, whose handler ends without setting a response, for two requests: both are 500 with
 * wasmtime's never-invoked message, and nothing panics. Returns the server, closed.
 */
async function twoAnswersNeverSet(guest: string, knobs: Partial<PoolKnobs>): Promise<TestServer> {
  const server = await serveForTest(guest, knobs);
  const responses = await sendSequential(server.url(), 2);
  assert.deepEqual(
    responses.map((r) => r.status),
    [500, 500],
  );
  assert.ok(server.stderr.some((line) => line.includes('guest never invoked `response-outparam::set` method')));
  assert.ok(!server.stderr.some((line) => line.includes('panicked')));
  await server.close();
  return server;
}

test('p2 return before set: both requests 500 with the never-invoked message; the instance lives on', async () => {
  const server = await twoAnswersNeverSet('demo:never-set', { ...ONE_REUSED_INSTANCE, maxInstanceReuseCount: 2 });
  assert.equal(eventsOf(server.events, 'worker.spawned').length, 1, 'returning without set is not a trap');
});

test('p2 trap before set: both requests 500 with the never-invoked message; each trap kills its instance', async () => {
  const server = await twoAnswersNeverSet('demo:trap', { maxInstanceReuseCount: 128 });
  const exits = eventsOf(server.events, 'worker.exit');
  assert.deepEqual(
    exits.map((e) => e.cause),
    ['trap', 'trap'],
  );
});

test('p2 guest output is line-buffered and prefixed by instance id', async () => {
  const server = await serveForTest('demo:print');
  await sendSequential(server.url(), 2);
  await server.close();
  const stdout = server.stderr.filter((line) => line.startsWith('stdout ['));
  const stderr = server.stderr.filter((line) => line.startsWith('stderr ['));
  assert.ok(stdout.length >= 2, server.stderr.join('\n'));
  assert.ok(stdout.some((line) => line.startsWith('stdout [0] :: ')));
  assert.ok(stdout.some((line) => line.startsWith('stdout [1] :: ')));
  assert.ok(stderr.includes('stderr [0] :: start a print 1234'), server.stderr.join('\n'));
  assert.ok(stderr.includes('stderr [1] :: start a print 1234'));
  const output = eventsOf(server.events, 'guest.output');
  assert.ok(output.some((e) => e.instanceId === 0 && e.stream === 'stderr' && e.line === 'start a print 1234'));
});

test('p2 guest output with --no-logging-prefix has no prefix', async () => {
  const server = await serveForTest('demo:print', {}, { loggingPrefix: false });
  await sendSequential(server.url(), 2);
  await server.close();
  assert.equal(server.stderr.filter((line) => line === 'start a print 1234').length, 2, server.stderr.join('\n'));
  assert.ok(!server.stderr.some((line) => line.startsWith('stdout [')));
});
