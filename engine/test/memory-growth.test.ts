/** The memory-growth warning: an instance whose linear memory grows with every request is named, with its rate. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { send } from './support/http-client.ts';
import { eventsOf, ONE_REUSED_INSTANCE, serveForTest } from './support/serve.ts';

// The rule as README.md states it ("Memory"), written here rather than read from the
// implementation, so that a change to its constants shows up as a failing test.
/** Requests an instance may grow in while it warms up. */
const WARM_UP_REQUESTS = 3;
/** Separate growths after warm-up that flag an instance. */
const GROWTHS_TO_FLAG = 5;

async function sendSequentially(url: string, count: number): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  for (let i = 0; i < count; i++) await send(url, { agent });
  agent.destroy();
}

test('demo:grow (one page per request) is flagged once, with 64 KiB per request', async () => {
  const server = await serveForTest('demo:grow', ONE_REUSED_INSTANCE);
  await sendSequentially(server.url(), 12);
  const sizes = eventsOf(server.events, 'worker.memory');
  // The size at instantiation, then after every request, each tagged with the requests finished so far.
  assert.deepEqual(
    sizes.map((e) => e.requestsDone),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
  );
  const warnings = eventsOf(server.events, 'worker.memory_growth');
  assert.equal(warnings.length, 1, 'flagged once, not on every request');
  const [warning] = warnings;
  assert.equal(warning!.instanceId, 0);
  assert.equal(warning!.bytesPerRequest, 65536);
  assert.equal(warning!.requests, GROWTHS_TO_FLAG);
  assert.equal(warning!.toBytes - warning!.fromBytes, GROWTHS_TO_FLAG * 65536);
  // Raised by the size report that completed the pattern (the one just before it).
  const trigger = sizes.find((e) => e.seq === warning!.seq - 1);
  assert.equal(trigger?.requestsDone, WARM_UP_REQUESTS + GROWTHS_TO_FLAG);
  assert.ok(
    server.stderr.includes(
      `warning: instance 0: memory grows ~64 KiB/request (${(warning!.fromBytes / 1024).toFixed(0)} KiB → ${(warning!.toBytes / 1024).toFixed(0)} KiB over 5 requests)`,
    ),
    server.stderr.join('\n'),
  );
  await server.close();
});

test('a guest whose memory levels off is never flagged', async () => {
  const server = await serveForTest('demo:counter', ONE_REUSED_INSTANCE);
  await sendSequentially(server.url(), 20);
  assert.equal(eventsOf(server.events, 'worker.memory_growth').length, 0);
  assert.ok(eventsOf(server.events, 'worker.memory').length >= 1, 'its size was still reported');
  await server.close();
});
