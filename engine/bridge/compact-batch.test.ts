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

/** Folds the stream in batches of `size`, compacted or not, through the page's own reducer; the state after each batch. */
function dashboardAfterEach(
  events: PoolEvent[],
  size: number,
  compact: boolean,
): { states: DataState[]; sent: number } {
  let data = initialData;
  let sent = 0;
  let gauges = ZERO;
  const states: DataState[] = [];
  for (let from = 0; from < events.length; from += size) {
    const batch = events.slice(from, from + size);
    gauges = gaugesOf(batch.findLast((e) => e.type === 'pool.gauges') ?? gauges);
    const out = compact ? compactBatch(batch) : batch;
    sent += out.length;
    data = applyServerMessage(data, { kind: 'events', events: out, gauges, dropped: 0 }, 0);
    states.push(data);
  }
  return { states, sent };
}

test('a real stream under concurrent load, compacted, folds to the same dashboard after every batch (all but the log)', async () => {
  // Long-lived instances (reuse 1000) as well as short ones (reuse 3): cards' time in state and
  // in-flight counts are checked while instances live, not only once they are gone.
  for (const reuse of [1000, 3]) {
    const server = await serveForTest('demo:hello', { maxInstanceReuseCount: reuse });
    let events: PoolEvent[];
    try {
      assert.ok((await sendMany(server.url(), 8, 25)).every((r) => r.status === 200));
      events = server.events.slice(); // before close: live instances in the last batches
    } finally {
      await server.close();
    }
    for (const size of [COMPACT_FROM_EVENTS, 400]) {
      const full = dashboardAfterEach(events, size, false);
      const compacted = dashboardAfterEach(events, size, true);
      full.states.forEach((state, i) => {
        for (const key of Object.keys(initialData) as Array<keyof DataState>) {
          if (key === 'log') continue; // fewer gauge rows, by design
          assert.deepEqual(
            compacted.states[i]?.[key],
            state[key],
            `reuse ${reuse}, batches of ${size}: ${key} after batch ${i}`,
          );
        }
      });
      assert.equal(full.states.at(-1)?.requests.ok, 200, 'the stream is the whole run');
      assert.ok(
        compacted.sent < full.sent,
        `reuse ${reuse}, batches of ${size}: ${compacted.sent} of ${full.sent} events sent`,
      );
    }
  }
});

test('a batch under the threshold goes out as emitted', () => {
  const batch: PoolEvent[] = Array.from({ length: COMPACT_FROM_EVENTS - 1 }, (_, i) => ({
    type: 'pool.gauges',
    liveInstances: 1,
    availableWorkers: 0,
    queueDepth: i,
    inFlight: 1,
    t: i,
    seq: i,
  }));
  assert.equal(compactBatch(batch), batch);
});

test('gauges: per second, the peak where the first sample was, then the last; every other event as it was, in order', () => {
  const filler: PoolEvent[] = Array.from({ length: COMPACT_FROM_EVENTS }, (_, i) => ({
    type: 'worker.status',
    instanceId: 0,
    status: i % 2 === 0 ? 'Requests' : 'Idle',
    t: 0,
    seq: 1000 + i,
  }));
  const g = (t: number, seq: number, queueDepth: number, inFlight: number, waitingForStart?: number): PoolEvent => ({
    type: 'pool.gauges',
    liveInstances: 1,
    availableWorkers: 0,
    queueDepth,
    inFlight,
    ...(waitingForStart === undefined ? {} : { waitingForStart }),
    t,
    seq,
  });
  const batch: PoolEvent[] = [
    g(900, 1, 0, 1),
    { type: 'worker.unavailable', instanceId: 0, why: 'concurrency-limit', t: 900, seq: 2 },
    g(950, 3, 4, 2, 2),
    g(990, 4, 1, 3),
    { type: 'worker.available', instanceId: 0, t: 999, seq: 5 },
    g(1000, 6, 0, 0),
    ...filler,
  ];
  const out = compactBatch(batch);
  assert.deepEqual(out.slice(0, 5), [
    g(900, 1, 4, 3, 2), // second 0's peak, where its first sample was
    { type: 'worker.unavailable', instanceId: 0, why: 'concurrency-limit', t: 900, seq: 2 },
    g(990, 4, 1, 3), // second 0's last
    { type: 'worker.available', instanceId: 0, t: 999, seq: 5 },
    g(1000, 6, 0, 0), // second 1's only sample
  ]);
  assert.deepEqual(out.slice(5), filler, 'every other event stays, in order');
});
