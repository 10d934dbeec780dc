import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chartSeries, percentile } from './charts.ts';
import { loadFixture, replay } from './test-support.ts';

describe('charts reducer', () => {
  it('buckets completions, failures and latencies per engine second', () => {
    const state = replay(loadFixture('spin-timeout.jsonl'));
    const completed = state.charts.buckets.reduce((n, b) => n + b.completed, 0);
    const failed = state.charts.buckets.reduce((n, b) => n + b.failed, 0);
    assert.equal(completed, 2);
    assert.equal(failed, 1);
    const secs = state.charts.buckets.map((b) => b.sec);
    assert.deepEqual(
      secs,
      [...secs].sort((a, b) => a - b),
      'ascending',
    );
    assert.equal(new Set(secs).size, secs.length, 'one bucket per second');
  });

  it('the series covers the window, one point per second, ending now', () => {
    const state = replay(loadFixture('counter-reuse3.jsonl'));
    const series = chartSeries(state.charts, 900, 60);
    assert.equal(series.length, 60);
    assert.equal(series.at(-1)!.x, 0);
    assert.equal(series[0]!.x, -59);
    const last = series.at(-1)!;
    assert.equal(last.ok, 5);
    assert.ok(last.p50! > 0 && last.p99! >= last.p50!);
    assert.equal(last.live, 1, 'peak live instances in the second');
    assert.equal(series.at(-2)!.ok, 0);
  });

  it('gauges carry forward through quiet seconds; rates fall to zero', () => {
    const state = replay(loadFixture('sleep-parallel.jsonl').filter((e) => e.t < 1000));
    const later = chartSeries(state.charts, 5_500, 10);
    assert.equal(later.length, 10);
    for (const p of later.slice(-5)) {
      assert.equal(p.ok, 0);
      assert.equal(p.live, 4, 'four idle instances still live');
      assert.equal(p.p50, null);
    }
  });

  it('batch gauges become the latest gauges', () => {
    const state = replay(loadFixture('counter-reuse3.jsonl'));
    assert.deepEqual(state.charts.lastGauges, { liveInstances: 0, availableWorkers: 0, queueDepth: 0, inFlight: 0 });
    assert.deepEqual(state.pool.gauges, state.charts.lastGauges);
  });

  it('percentile is nearest-rank', () => {
    assert.equal(percentile([], 50), null);
    assert.equal(percentile([5], 99), 5);
    assert.equal(percentile([4, 1, 3, 2], 50), 2);
    assert.equal(percentile([4, 1, 3, 2], 99), 4);
    assert.equal(
      percentile(
        Array.from({ length: 100 }, (_, i) => i + 1),
        99,
      ),
      99,
    );
  });
});
