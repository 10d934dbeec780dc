/** The phase meter on the event stream of a real pool (demo:counter over loopback HTTP). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serveForTest } from '../test/support/serve.ts';
import { PhaseMeter } from './phase-meter.ts';
import { oneByOne } from './traffic.ts';

test("a phase counts how its own instances ended, not those of the phase before (drained ≤ the phase's instances)", async () => {
  const server = await serveForTest('demo:counter', { maxInstanceReuseCount: 128, idleInstanceTimeoutMs: 60_000 });
  const signal = new AbortController().signal;
  try {
    // The phase before: one instance serves three requests and stays idle.
    await oneByOne(server.url(), 3, { signal });
    const before = server.events.filter((e) => e.type === 'worker.spawned').map((e) => e.instanceId);
    assert.equal(before.length, 1, 'one instance for the three requests');

    const meter = new PhaseMeter(server.bus, 'reuse 1', server.pool.gauges().liveInstances);
    // Reuse 1 retires the earlier instance (it has served 3) while this phase runs.
    const result = server.pool.setKnobs({ maxInstanceReuseCount: 1 });
    assert.ok(result.ok);
    await oneByOne(server.url(), 4, { signal });
    // Every instance of both phases has exited: the earlier one, and the four that served one request each.
    await Promise.all(
      [before[0]!, ...[1, 2, 3, 4].map((n) => before[0]! + n)].map((id) =>
        server.waitFor((e) => e.type === 'worker.exit' && e.instanceId === id),
      ),
    );
    const phase = meter.finish();

    const exits = server.events.filter((e) => e.type === 'worker.exit');
    assert.equal(exits.length, 5, 'the stream did have five exits, the earlier instance among them');
    assert.ok(
      exits.every((e) => e.cause === 'drained'),
      exits.map((e) => e.cause).join(),
    );
    assert.equal(phase.requests, 4);
    assert.equal(phase.instancesStarted, 4);
    assert.equal(phase.drained, 4, 'the earlier instance drained during the phase but did none of its work');
    assert.ok(phase.requestsPerSecond !== null && phase.requestsPerSecond > 0, 'a rated phase has a rate');
  } finally {
    await server.close();
  }
});

test('an instance of an earlier phase that serves this phase counts as this phase’s; rate: false reports no rate', async () => {
  const server = await serveForTest('demo:counter', { maxInstanceReuseCount: 3, idleInstanceTimeoutMs: 60_000 });
  const signal = new AbortController().signal;
  try {
    await oneByOne(server.url(), 1, { signal }); // instance 0 starts, serves 1 of its 3
    const meter = new PhaseMeter(server.bus, 'paced', server.pool.gauges().liveInstances, { rate: false });
    await oneByOne(server.url(), 2, { signal }); // instance 0 serves its last two and drains
    await server.waitFor((e) => e.type === 'worker.exit');
    const phase = meter.finish();
    assert.equal(phase.instancesStarted, 0, 'no instance started in the phase');
    assert.equal(phase.drained, 1, 'the instance that served the phase drained in it');
    assert.equal(phase.requests, 2);
    assert.equal(phase.requestsPerSecond, null);
  } finally {
    await server.close();
  }
});
