import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadFixture, replay } from '../model/test-support.ts';
import { layoutLanes } from './layout.ts';
import { moveFocus, navKeyOf, type NavKey } from './navigation.ts';

const state = replay(loadFixture('p3-concurrent.jsonl'));
const layout = layoutLanes(
  [...state.instances.live.values(), ...state.instances.retired],
  state.requests.byId.values(),
  { start: 0, end: 3000 },
  3000,
);

/** Where a sequence of keys leads from `from`. */
const walk = (from: number | null, keys: NavKey[]): Array<number | null> => {
  const seen: Array<number | null> = [];
  let at = from;
  for (const key of keys) seen.push((at = moveFocus(layout, at, key)));
  return seen;
};

describe('timeline keyboard navigation', () => {
  it('starts at the newest request of the top lane', () => {
    // Lanes: instance 2 (requests 6, 7), 1 (4, 2), 0 (0, 1, 3, 5).
    assert.equal(moveFocus(layout, null, 'right'), 7);
    assert.equal(moveFocus(layout, 12345, 'down'), 7, 'a request no longer in the window starts over');
  });

  it('left and right step through one lane in time order, and stop at its ends', () => {
    assert.deepEqual(walk(0, ['right', 'right', 'right', 'right', 'left']), [1, 3, 5, 5, 3]);
    assert.deepEqual(walk(4, ['left', 'right', 'right']), [4, 2, 2]);
    assert.equal(moveFocus(layout, 3, 'first'), 0);
    assert.equal(moveFocus(layout, 0, 'last'), 5);
  });

  it('up and down go to the next lane, to the request nearest in time, and stop at the last lane', () => {
    // Request 5 (instance 0, accepted at 321.6 ms) up: instance 1's nearest is request 2 (320.4 ms), then instance 2's first.
    assert.deepEqual(walk(5, ['up', 'up', 'up']), [2, 6, 6]);
    assert.deepEqual(walk(7, ['down', 'down', 'down']), [2, 3, 3]);
  });

  it('an empty window has nothing to focus', () => {
    const empty = layoutLanes([], [], { start: 0, end: 1 }, 1);
    assert.equal(moveFocus(empty, null, 'right'), null);
  });

  it('arrow keys map to directions; other keys do not navigate', () => {
    assert.deepEqual(['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'a'].map(navKeyOf), [
      'left',
      'right',
      'up',
      'down',
      null,
      null,
    ]);
  });
});
