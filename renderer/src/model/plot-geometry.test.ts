import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dotsPath, linePath, nearestIndex, plotScales, seriesMax } from './plot-geometry.ts';

const BOX = { width: 110, height: 60, margin: { top: 0, right: 0, bottom: 10, left: 10 } };

describe('plot geometry', () => {
  it('maps the x domain across the plot and y from 0 at the bottom up to a nice whole top', () => {
    const s = plotScales(BOX, -10, 0, 37);
    assert.equal(s.x(-10), 10);
    assert.equal(s.x(0), 110);
    assert.equal(s.y(0), 50);
    assert.deepEqual(s.yTicks, [0, 10, 20, 30, 40]);
    assert.equal(s.y(40), 0, 'the nice top is the top of the plot');
    assert.equal(s.invertX(60), -5);
  });

  it('never ticks a fraction: an empty or tiny series still gets 0 and 1', () => {
    assert.deepEqual(plotScales(BOX, -59, 0, 0).yTicks, [0, 1]);
    assert.deepEqual(plotScales(BOX, -59, 0, 0.4).yTicks, [0, 1]);
    assert.deepEqual(plotScales(BOX, -59, 0, Number.NaN).yTicks, [0, 1]);
    assert.ok(plotScales(BOX, -59, 0, 3).yTicks.every(Number.isInteger));
  });

  it('keeps a one-point x domain and a box smaller than its margins drawable', () => {
    const s = plotScales({ ...BOX, width: 5, height: 5 }, 0, 0, 1);
    assert.ok(Number.isFinite(s.x(0)) && Number.isFinite(s.y(1)));
    assert.ok(s.right > s.left && s.bottom > s.top);
  });

  it('draws straight lines or steps, and breaks the line at a missing value', () => {
    const scales = { x: (v: number) => v, y: (v: number) => 100 - v };
    assert.equal(linePath([0, 1, 2], [10, 20, 30], scales, false), 'M0,90L1,80L2,70');
    assert.equal(linePath([0, 1, 2], [10, 20, 30], scales, true), 'M0,90H1V80H2V70');
    assert.equal(linePath([0, 1, 2, 3], [10, null, 30, 40], scales, false), 'M0,90M2,70L3,60');
    assert.equal(linePath([0, 1], [null, null], scales, false), '');
    assert.equal(
      linePath([0, 1, 2], [10, Number.NaN, 30], scales, false),
      'M0,90M2,70',
      'NaN is a gap, not a broken path',
    );
  });

  it('draws each present point as a dot', () => {
    const scales = { x: (v: number) => v, y: (v: number) => v };
    assert.equal(dotsPath([0, 1, 2], [5, null, 7], scales), 'M0,5h0M2,7h0');
  });

  it('finds the largest value across series, ignoring nulls', () => {
    const points = [
      { a: 1, b: null },
      { a: 3, b: 9 },
    ];
    assert.equal(seriesMax(points, ['a', 'b']), 9);
    assert.equal(seriesMax(points, ['a']), 3);
    assert.equal(seriesMax([], ['a']), 0);
  });

  it('finds the nearest point', () => {
    assert.equal(nearestIndex([-2, -1, 0], -0.7), 1);
    assert.equal(nearestIndex([-2, -1, 0], 5), 2);
    assert.equal(nearestIndex([], 0), null);
  });
});
