/**
 * The charts' p50 / p99 are remembered per bucket (charts.ts, `latencyQuantiles`): they must stay
 * the nearest-rank percentiles of what the bucket holds, also when a later batch adds to a bucket
 * that was already drawn.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { PoolEvent } from '../../../protocol/index.ts';
import { applyChartEvents, chartSeries, initialCharts, percentile } from './charts.ts';
import { batchesOf } from './event-batches.ts';
import { loadFixture } from './test-support.ts';

const completed = (t: number, durationMs: number, seq: number): PoolEvent => ({
  type: 'request.completed',
  t,
  seq,
  requestId: seq,
  instanceId: 0,
  durationMs,
  bodyBytes: 1,
});

it('p50 and p99 follow the bucket as batches add to it, drawn between batches', () => {
  const events = loadFixture('sleep-parallel.jsonl');
  let charts = initialCharts;
  // Half way through the second after the stream's last: the extra requests below land in it.
  const now = (Math.floor((events.at(-1)?.t ?? 0) / 1000) + 1) * 1000 + 500;
  for (const batch of batchesOf(events, 1)) {
    charts = applyChartEvents(charts, batch, null);
    for (const point of chartSeries(charts, now, 60)) {
      const bucket = charts.buckets.find((b) => b.sec - Math.floor(now / 1000) === point.x);
      assert.equal(point.p50, bucket ? percentile(bucket.latencies, 50) : null);
      assert.equal(point.p99, bucket ? percentile(bucket.latencies, 99) : null);
    }
  }
  // Drawn once, then a slow request lands in the same second: the next drawing shows it.
  const t = now - 5;
  charts = applyChartEvents(charts, [completed(t, 1, 1000), completed(t, 2, 1001)], null);
  const before = chartSeries(charts, now, 60).at(-1);
  charts = applyChartEvents(charts, [completed(t + 1, 900, 1002)], null);
  const after = chartSeries(charts, now, 60).at(-1);
  assert.notEqual(before?.p99, after?.p99);
  assert.equal(after?.p99, 900);
});
