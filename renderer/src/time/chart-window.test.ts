import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  chartAxisOf,
  chartPointLabel,
  chartTickLabel,
  chartTicks,
  chartWindowOf,
  MIN_LINKED_SECONDS,
} from './chart-window.ts';
import { brushTo, DEFAULT_TIME_VIEW } from './time-view.ts';

describe('the charts follow the timeline', () => {
  it('while live, the charts keep their own length, ending now', () => {
    assert.deepEqual(chartWindowOf(DEFAULT_TIME_VIEW, 90_000, 60), { end: 90_000, seconds: 60, linked: false });
  });

  it("once the timeline's window is fixed, the charts show it (whole seconds, a few at least, centred)", () => {
    assert.deepEqual(chartWindowOf(brushTo(40_000, 70_000, 90_000), 90_000, 60), {
      end: 70_000,
      seconds: 30,
      linked: true,
    });
    const narrow = chartWindowOf(brushTo(40_000, 41_000, 90_000), 90_000, 60);
    assert.deepEqual(narrow, { end: 43_000, seconds: MIN_LINKED_SECONDS, linked: true });
  });
});

describe('chart axes in the one time base', () => {
  it('tick round engine seconds, labelled as such', () => {
    // 60 points ending at engine second 95: 36 … 95.
    assert.deepEqual(chartTicks(-59, 95), [-50, -35, -20, -5]);
    assert.deepEqual(
      chartTicks(-59, 95).map((x) => chartTickLabel(x, 95)),
      ['45', '60', '75', '90'],
    );
    assert.deepEqual(chartTicks(-4, 12), [-4, -3, -2, -1, 0]);
    assert.equal(chartPointLabel(-1, 95), 't = 94–95 s');
    assert.deepEqual(chartTicks(-59, 2), [-2], 'nothing before engine start');
  });
});

describe("the timeline's window on the charts", () => {
  it('while live, a 10 s timeline is the last 10 s of a 60 s chart, shaded', () => {
    const shown = chartWindowOf(DEFAULT_TIME_VIEW, 90_500, 60);
    assert.deepEqual(chartAxisOf(DEFAULT_TIME_VIEW, 90_500, shown), { endSec: 90, band: { x1: -9.5, x2: 0.5 } });
  });

  it('a window as wide as the chart needs no shading; a narrow fixed one is shaded inside its widened chart', () => {
    const wide = brushTo(40_000, 70_000, 90_000);
    assert.equal(chartAxisOf(wide, 90_000, chartWindowOf(wide, 90_000, 60)).band, null);
    const narrow = brushTo(40_000, 41_000, 90_000);
    assert.deepEqual(chartAxisOf(narrow, 90_000, chartWindowOf(narrow, 90_000, 60)), {
      endSec: 42,
      band: { x1: -2, x2: -1 },
    });
  });
});
