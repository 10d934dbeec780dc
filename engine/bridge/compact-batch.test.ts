/** The live stream's compaction under load: fewer events, the same dashboard. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gaugesOf, type Gauges, type PoolEvent } from '../../protocol/index.ts';
import { applyServerMessage, initialData } from '../../renderer/src/model/apply.ts';
import type { DataState } from '../../renderer/src/model/types.ts';
import { sendMany } from '../test/support/http-client.ts';
import { serveForTest } from '../test/support/serve.ts';
import { COMPACT_FROM_EVENTS, compactBatch } from './compact-batch.ts';

const ZERO: Gauges = { liveInstances: 0, availableWorkers: 0, queueDepth: 0, inFlight: 0 };

/** The page's state after the stream, sent in batches of `size` (compacted or not). */
function dashboardAfter(events: PoolEvent[], size: number, compact: boolean): { data: DataState; sent: number } {
  let data = initialData;
  let sent = 0;
  let gauges = ZERO;
  for (let from = 0; from < events.length; from += size) {
    const batch = events.slice(from, from + size);
    gauges = gaugesOf(batch.findLast((e) => e.type === 'pool.gauges') ?? gauges);
    const out = compact ? compactBatch(batch) : batch;
    sent += out.length;
    data = applyServerMessage(data, { kind: 'events', events: out, gauges, dropped: 0 }, 0);
  }
  return { data, sent };
}

test('a real stream under concurrent load, compacted, folds to the same dashboard (all but the log) with far fewer events', async () => {
  const server = await serveForTest('demo:hello', { maxInstanceReuseCount: 3 });
  try {
    assert.ok((await sendMany(server.url(), 8, 25)).every((r) => r.status === 200));
  } finally {
    await server.close();
  }
  const events = server.events.slice();
  for (const size of [COMPACT_FROM_EVENTS, 400]) {
    const full = dashboardAfter(events, size, false);
    const compacted = dashboardAfter(events, size, true);
    for (const key of Object.keys(initialData) as Array<keyof DataState>) {
      if (key === 'log') continue; // fewer state rows under load, by design
      assert.deepEqual(compacted.data[key], full.data[key], `${key}, batches of ${size}`);
    }
    assert.equal(full.data.requests.ok, 200, 'the stream is the whole run');
    assert.ok(compacted.sent < 0.75 * full.sent, `batches of ${size}: ${compacted.sent} of ${full.sent} events sent`);
  }
});

test('a batch under the threshold goes out as emitted', () => {
  const batch: PoolEvent[] = Array.from({ length: COMPACT_FROM_EVENTS - 1 }, (_, i) => ({
    type: 'worker.status',
    instanceId: 0,
    status: i % 2 === 0 ? 'Requests' : 'Idle',
    t: i,
    seq: i,
  }));
  assert.equal(compactBatch(batch), batch);
});

test('states: the last of each instance stays, a draining mark always; gauges: per second, the peak where the first was, then the last', () => {
  const filler: PoolEvent[] = Array.from({ length: COMPACT_FROM_EVENTS }, (_, i) => ({
    type: 'request.received',
    requestId: i,
    method: 'GET',
    uri: '/',
    t: 0,
    seq: 1000 + i,
  }));
  const g = (t: number, seq: number, queueDepth: number, inFlight: number): PoolEvent => ({
    type: 'pool.gauges',
    liveInstances: 1,
    availableWorkers: 0,
    queueDepth,
    inFlight,
    t,
    seq,
  });
  const batch: PoolEvent[] = [
    g(900, 1, 0, 1),
    { type: 'worker.status', instanceId: 0, status: 'Requests', t: 900, seq: 2 },
    { type: 'worker.unavailable', instanceId: 0, why: 'concurrency-limit', t: 900, seq: 3 },
    { type: 'worker.status', instanceId: 1, status: 'Requests', t: 910, seq: 4 },
    g(950, 5, 4, 2),
    g(990, 6, 1, 3),
    { type: 'worker.unavailable', instanceId: 1, why: 'draining', t: 995, seq: 7 },
    { type: 'worker.available', instanceId: 0, t: 999, seq: 8 },
    { type: 'worker.status', instanceId: 0, status: 'Idle', t: 999, seq: 9 },
    g(1000, 10, 0, 0),
    ...filler,
  ];
  const out = compactBatch(batch).filter((e) => e.type !== 'request.received');
  assert.deepEqual(out, [
    { ...g(900, 1, 4, 3) }, // second 0's peak, where its first sample was
    { type: 'worker.status', instanceId: 1, status: 'Requests', t: 910, seq: 4 },
    g(990, 6, 1, 3), // second 0's last
    { type: 'worker.unavailable', instanceId: 1, why: 'draining', t: 995, seq: 7 },
    { type: 'worker.available', instanceId: 0, t: 999, seq: 8 },
    { type: 'worker.status', instanceId: 0, status: 'Idle', t: 999, seq: 9 },
    g(1000, 10, 0, 0), // second 1's only sample
  ]);
  assert.equal(compactBatch(batch).length, out.length + COMPACT_FROM_EVENTS, 'every other event stays');
});
