import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadFixture, replay } from '../model/test-support.ts';
import type { DataState } from '../model/types.ts';
import {
  LANE_MIN,
  laneHeight,
  lanesBetween,
  laneState,
  layoutLanes,
  MAX_SUBROWS,
  rowHeight,
  SUBROW_MIN,
} from './layout.ts';

const allInstances = (s: DataState) => [...s.instances.live.values(), ...s.instances.retired];

/** p3-delay with concurrent reuse: instance 0 ran requests 0, 1, 3, 5 at once, instance 1 ran 4 and 2, instance 2 two in turn. */
const concurrent = replay(loadFixture('p3-concurrent.jsonl'));
const WHOLE = { start: 0, end: 3000 };

describe('timeline layout: lanes and sub-rows', () => {
  it('one lane per instance alive in the window, newest first, stacked without gaps', () => {
    const layout = layoutLanes(allInstances(concurrent), concurrent.requests.byId.values(), WHOLE, 3000);
    assert.deepEqual(
      layout.lanes.map((l) => l.instance.instanceId),
      [2, 1, 0],
    );
    let top = 0;
    for (const lane of layout.lanes) {
      assert.equal(lane.top, top);
      top += lane.height;
    }
    assert.equal(layout.height, top);
    // Instances 0 and 1 had exited (idle timeout at 1.65 s) before a window starting at 2 s.
    const late = layoutLanes(
      allInstances(concurrent),
      concurrent.requests.byId.values(),
      { start: 2000, end: 3000 },
      3000,
    );
    assert.deepEqual(
      late.lanes.map((l) => l.instance.instanceId),
      [2],
    );
  });

  it('overlapping requests on one instance get a sub-row each, and the lane grows to keep each readable', () => {
    const layout = layoutLanes(allInstances(concurrent), concurrent.requests.byId.values(), WHOLE, 3000);
    const lane = (id: number) => layout.lanes.find((l) => l.instance.instanceId === id)!;
    assert.deepEqual(
      lane(0).bars.map((b) => [b.request.requestId, b.row]),
      [
        [0, 0],
        [1, 1],
        [3, 2],
        [5, 3],
      ],
    );
    assert.equal(lane(0).rows, 4);
    assert.equal(lane(1).rows, 2);
    assert.equal(lane(2).rows, 1, 'sequential requests share one row');
    for (const l of layout.lanes) {
      assert.ok(rowHeight(l) >= SUBROW_MIN - 1e-9, `lane ${l.instance.instanceId}: rows of ${rowHeight(l)} px`);
      assert.equal(l.height, laneHeight(l.rows));
    }
    assert.equal(lane(2).height, LANE_MIN);
    assert.ok(lane(0).height > LANE_MIN);
  });

  it('every request in the window is placed once; requests outside it are not', () => {
    const all = layoutLanes(allInstances(concurrent), concurrent.requests.byId.values(), WHOLE, 3000);
    assert.deepEqual(
      [...all.byRequest.keys()].sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 7],
    );
    const early = layoutLanes(
      allInstances(concurrent),
      concurrent.requests.byId.values(),
      { start: 0, end: 1000 },
      3000,
    );
    assert.deepEqual(
      [...early.byRequest.keys()].sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5],
    );
  });

  it('a lane has at most MAX_SUBROWS rows, however many requests overlap', () => {
    const base = [...concurrent.requests.byId.values()][0]!;
    const many = Array.from({ length: 200 }, (_, i) => ({ ...base, requestId: 1000 + i, slot: i }));
    const layout = layoutLanes(allInstances(concurrent), many, WHOLE, 3000);
    const lane = layout.lanes.find((l) => l.instance.instanceId === base.instanceId)!;
    assert.equal(lane.rows, MAX_SUBROWS);
    assert.equal(Math.max(...lane.bars.map((b) => b.row)), MAX_SUBROWS - 1);
  });

  it('lanesBetween finds the lanes a scrolled view shows, for hundreds of lanes', () => {
    const lanes = Array.from({ length: 300 }, (_, i) => ({ top: i * 22, height: 22 }));
    const layout = { lanes, height: 300 * 22, byRequest: new Map() } as unknown as Parameters<typeof lanesBetween>[0];
    assert.deepEqual(lanesBetween(layout, 0, 100), { first: 0, end: 5 });
    assert.deepEqual(lanesBetween(layout, 2210, 2310), { first: 100, end: 105 });
    assert.deepEqual(lanesBetween(layout, 300 * 22 - 10, 300 * 22 + 100), { first: 299, end: 300 });
    assert.deepEqual(lanesBetween(layout, 300 * 22 + 5, 300 * 22 + 100), { first: 300, end: 300 });
  });

  it('each lane is labelled with what its instance is doing, or that it exited', () => {
    const states = allInstances(concurrent).map((r) => [r.instanceId, laneState(r)]);
    assert.deepEqual(
      states.sort((a, b) => Number(a[0]) - Number(b[0])),
      [
        [0, 'idle-timeout'],
        [1, 'idle-timeout'],
        [2, 'drained'],
      ],
    );
    const running = replay(loadFixture('p3-concurrent.jsonl').filter((e) => e.t < 330));
    assert.equal(laneState(running.instances.live.get(0)!), 'busy ×4');
  });
});
