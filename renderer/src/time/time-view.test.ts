import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  brushTo,
  DEFAULT_TIME_VIEW,
  freezeAt,
  goLive,
  MAX_SPAN_MS,
  MIN_SPAN_MS,
  panBy,
  type TimeView,
  windowOf,
  withSpan,
  zoomAt,
} from './time-view.ts';

const NOW = 60_000;

describe('the time view: live, or fixed by zoom, pan and brush', () => {
  it('a live window ends now and moves with it; a fixed one stays', () => {
    assert.deepEqual(windowOf(DEFAULT_TIME_VIEW, NOW), { start: 50_000, end: 60_000 });
    assert.deepEqual(windowOf(DEFAULT_TIME_VIEW, NOW + 500), { start: 50_500, end: 60_500 });
    const fixed = freezeAt(DEFAULT_TIME_VIEW, NOW);
    assert.deepEqual(windowOf(fixed, NOW + 5000), { start: 50_000, end: 60_000 });
    assert.deepEqual(goLive(fixed), DEFAULT_TIME_VIEW);
  });

  it('zooming keeps the time under the pointer where it is', () => {
    // The pointer a quarter across 50…60 s (at 52.5 s); zoom in 2×.
    const view = zoomAt(DEFAULT_TIME_VIEW, NOW, 0.5, 0.25);
    const w = windowOf(view, NOW);
    assert.equal(view.live, false);
    assert.equal(w.end - w.start, 5000);
    assert.equal(w.start + 0.25 * (w.end - w.start), 52_500);
    // And back out: the same window as before, now fixed.
    assert.deepEqual(windowOf(zoomAt(view, NOW, 2, 0.25), NOW), { start: 50_000, end: 60_000 });
  });

  it('zooming at the right edge of a live window stays live', () => {
    assert.deepEqual(zoomAt(DEFAULT_TIME_VIEW, NOW, 0.5, 1), { live: true, spanMs: 5000 });
  });

  it('the length stays within its bounds however far one zooms', () => {
    let view: TimeView = DEFAULT_TIME_VIEW;
    for (let i = 0; i < 40; i++) view = zoomAt(view, NOW, 0.5, 0.5);
    assert.equal(view.spanMs, MIN_SPAN_MS);
    for (let i = 0; i < 40; i++) view = zoomAt(view, NOW, 2, 0.5);
    assert.equal(view.spanMs, MAX_SPAN_MS);
  });

  it('panning moves the window but never into the future or before engine start', () => {
    const back = panBy(DEFAULT_TIME_VIEW, NOW, -4000);
    assert.deepEqual(windowOf(back, NOW), { start: 46_000, end: 56_000 });
    assert.deepEqual(windowOf(panBy(back, NOW, 10_000), NOW), { start: 50_000, end: 60_000 }, 'stops at now');
    assert.deepEqual(windowOf(panBy(back, NOW, -100_000), NOW), { start: 0, end: 10_000 }, 'stops at engine start');
  });

  it('a brushed range becomes the window, in either direction; a tiny one is widened around its middle', () => {
    assert.deepEqual(windowOf(brushTo(58_000, 55_000, NOW), NOW), { start: 55_000, end: 58_000 });
    const tiny = windowOf(brushTo(55_000, 55_010, NOW), NOW);
    assert.deepEqual(tiny, { start: 55_005 - MIN_SPAN_MS / 2, end: 55_005 + MIN_SPAN_MS / 2 });
  });

  it('a new length keeps a live view live and a fixed view its right edge', () => {
    assert.deepEqual(withSpan(DEFAULT_TIME_VIEW, 30_000), { live: true, spanMs: 30_000 });
    const fixed = brushTo(40_000, 45_000, NOW);
    assert.deepEqual(windowOf(withSpan(fixed, 20_000), NOW), { start: 25_000, end: 45_000 });
    assert.equal(
      withSpan(DEFAULT_TIME_VIEW, Number.NaN).spanMs,
      DEFAULT_TIME_VIEW.spanMs,
      'a hostile length is ignored',
    );
  });
});
