import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PoolEvent } from '../../../protocol/index.ts';
import { TICK_UNIT_SPACE, axisCount, axisMs, axisRate, queueWhat, windowMax, withPeak } from './chart-format.ts';
import { applyChartEvents, chartSeries, initialCharts } from './charts.ts';

describe('chart units and headlines', () => {
  it('latency ticks carry ms or s, never a bare 60k', () => {
    // Number and unit joined by a no-break space, so a narrow axis never wraps a tick.
    assert.deepEqual(
      [0, 0.25, 12, 250, 1500, 60_000, 90_000].map(axisMs),
      ['0', '250 µs', '12 ms', '250 ms', '1.5 s', '1 min', '1.5 min'].map((t) => t.replace(' ', TICK_UNIT_SPACE)),
    );
    assert.equal(axisRate(1200), '1.2k/s');
    assert.equal(axisCount(35_000), '35k');
    assert.equal(axisCount(7), '7');
  });

  it('the queue headline says how many wait for a starting instance', () => {
    const g = { liveInstances: 0, availableWorkers: 0, queueDepth: 50, inFlight: 0 };
    assert.equal(queueWhat({ ...g, waitingForStart: 50 }), 'now · 50 waiting for a starting instance');
    assert.equal(queueWhat({ ...g, waitingForStart: 0 }), 'now');
    assert.equal(queueWhat(g), 'now', 'an older engine does not say');
    assert.equal(queueWhat({ ...g, queueDepth: 0 }, 50), 'now · peak 50 in window', 'after the burst, its peak');
    assert.equal(withPeak('last full second', 0, '/s'), 'last full second');
    assert.equal(withPeak('last full second', 42, '/s'), 'last full second · peak 42/s in window');
    assert.equal(withPeak('now', null), 'now');
  });

  it('the series carries waiting-for-start per second (its peak), null when the engine did not send it', () => {
    // A 50-client burst on a starting instance as the engine reports it: all queued, all waiting for it.
    const gauges = (t: number, seq: number, queueDepth: number, waitingForStart?: number): PoolEvent => ({
      type: 'pool.gauges',
      t,
      seq,
      liveInstances: 1,
      availableWorkers: 0,
      queueDepth,
      inFlight: 0,
      ...(waitingForStart === undefined ? {} : { waitingForStart }),
    });
    const charts = applyChartEvents(
      initialCharts,
      [gauges(100, 1, 20, 20), gauges(300, 2, 50, 50), gauges(1200, 3, 0, 0), gauges(2100, 4, 4)],
      null,
    );
    const series = chartSeries(charts, 2500, 3);
    assert.deepEqual(
      series.map((p) => [p.queue, p.waiting]),
      [
        [50, 50],
        [0, 0],
        [4, null],
      ],
    );
    assert.equal(
      windowMax(series, (p) => p.waiting),
      50,
    );
    assert.equal(
      windowMax([], (p: { v: number }) => p.v),
      null,
    );
  });
});
