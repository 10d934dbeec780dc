import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InstanceRecord } from '../model/types.ts';
import { anchoredScrollTop } from './anchor.ts';
import { LANE_MIN, type Lane, type TimelineLayout } from './layout.ts';

/** Lanes of the given instances and heights, stacked newest first as the layout stacks them. */
function lanes(...spec: Array<[id: number, height?: number]>): TimelineLayout {
  const out: Lane[] = [];
  let top = 0;
  for (const [id, height = LANE_MIN] of spec) {
    out.push({ instance: { instanceId: id } as InstanceRecord, top, height, rows: 1, bars: [] });
    top += height;
  }
  return { lanes: out, height: top, byRequest: new Map() };
}

describe('timeline scroll anchoring', () => {
  const before = lanes([9], [8], [7], [6], [5]);

  it('lanes coming in above: the lane at the top edge keeps its place on screen', () => {
    // Lane 7 starts 44 px down; the view's top edge is 10 px into it.
    const after = lanes([11], [10], [9], [8], [7], [6], [5]);
    assert.equal(anchoredScrollTop(before, after, 54), 54 + 2 * LANE_MIN);
  });

  it('the anchor lane gone (its instance left the window): the next one below holds', () => {
    const after = lanes([10], [9], [8], [6], [5]); // 7 left, 10 came
    // Top edge 10 px into lane 7 (at 44): lane 6 was 12 px below the edge, at 66; now at 66 too.
    assert.equal(anchoredScrollTop(before, after, 54), 54);
    const grown = lanes([10, 60], [9], [8], [6], [5]);
    assert.equal(anchoredScrollTop(before, grown, 54), 54 + 60 - LANE_MIN);
  });

  it('lanes above growing taller (requests overlapping) push the view down with them', () => {
    const after = lanes([9, 3 * LANE_MIN], [8], [7], [6], [5]);
    assert.equal(anchoredScrollTop(before, after, 50), 50 + 2 * LANE_MIN);
  });

  it('at the top the view stays there, following the newest instances; nothing left in common: unchanged', () => {
    assert.equal(
      anchoredScrollTop(before, lanes([11], [10], ...before.lanes.map((l): [number] => [l.instance.instanceId])), 0),
      0,
    );
    assert.equal(anchoredScrollTop(before, lanes([20], [21]), 30), 30);
    assert.equal(anchoredScrollTop(before, before, 30), 30);
  });

  it('lanes above the view leaving shift it up, never above the top', () => {
    const after = lanes([7], [6], [5]); // 9 and 8 left
    assert.equal(anchoredScrollTop(before, after, 54), 10);
  });
});
